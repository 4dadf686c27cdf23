import { MetricName } from '@vstack/observability';
import { Counter, Histogram, type Registry } from 'prom-client';

/** How a proxied request ended. */
export type ProxyOutcome = 'forwarded' | 'refused' | 'upstream_error' | 'upstream_timeout' | 'client_gone';

/** The proxy's metrics on the service's registry: requests by route and outcome, refusals, upstream latency. */
export class ProxyMetrics {
  private readonly requests: Counter<'route' | 'outcome'>;
  private readonly refusals: Counter<'reason'>;
  private readonly upstreamDuration: Histogram<'route' | 'status_code'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: MetricName.proxyRequestsTotal,
      help: 'Requests on proxied routes, by route prefix and outcome (forwarded, refused, upstream_error, upstream_timeout, client_gone).',
      labelNames: ['route', 'outcome'],
      registers: [registry],
    });
    this.refusals = new Counter({
      name: MetricName.proxyRefusalsTotal,
      help: 'Requests the proxy refused before forwarding, by error code.',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.upstreamDuration = new Histogram({
      name: MetricName.proxyUpstreamDurationSeconds,
      help: "Seconds from forwarding a request to the upstream's response headers, by route prefix and status code.",
      labelNames: ['route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
  }

  /** Counts a request that ended; a refusal also counts under its error code. */
  ended(route: string, outcome: ProxyOutcome, refusalReason?: string): void {
    this.requests.inc({ route, outcome });
    if (outcome === 'refused') this.refusals.inc({ reason: refusalReason ?? 'unknown' });
  }

  /** Records the time the upstream took to answer with its headers. */
  upstreamAnswered(route: string, statusCode: number, seconds: number): void {
    this.upstreamDuration.observe({ route, status_code: String(statusCode) }, seconds);
  }
}
