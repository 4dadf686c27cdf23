import { MetricName } from '@vstack/observability';
import { Counter, Gauge, type Registry } from 'prom-client';

/** The read side's metrics: cache age per subnet (computed at scrape time) and stale reads. */
export class ReadMetrics {
  readonly staleReads: Counter<'netuid' | 'level'>;
  readonly cacheAge: Gauge<'netuid'>;

  constructor(registry: Registry, ages: () => ReadonlyMap<number, number>) {
    this.staleReads = new Counter({
      name: MetricName.sidecarStaleReadsTotal,
      help: 'Metagraph reads answered with a staleness warning (level soft) or refused as stale (level hard).',
      labelNames: ['netuid', 'level'],
      registers: [registry],
    });
    this.cacheAge = new Gauge({
      name: MetricName.sidecarCacheAgeBlocks,
      help: 'Blocks between the chain head (as expected by now) and the newest cached metagraph, per subnet.',
      labelNames: ['netuid'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [netuid, age] of ages()) this.set({ netuid: String(netuid) }, age);
      },
    });
  }

  staleRead(netuid: number, level: 'soft' | 'hard'): void {
    this.staleReads.inc({ netuid: String(netuid), level });
  }
}
