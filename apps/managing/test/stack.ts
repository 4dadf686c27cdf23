import type { Axon, MinerDeclaration, Neuron, RpcResponse } from '@vstack/contracts';
import { mulberry32 } from '@vstack/protocol';
import { createSelectionEngine, type SelectionEngine, type SelectionEngineOptions } from '../src/engine';
import type { QuotaCounters } from '../src/quota/quota-counters';
import type { MinerStatusReader } from '../src/registry/miner-declarations';
import type { ScoresSource } from '../src/scores/score-book';
import { hotkeys, ManualClock, silentLogger } from './fixtures';

/** Declarations by axon `ip:port`; miners not listed do not answer. */
export class StaticStatusReader implements MinerStatusReader {
  readonly byAxon = new Map<string, MinerDeclaration>();

  read(axon: Axon): Promise<MinerDeclaration> {
    const declaration = this.byAxon.get(`${axon.ip}:${axon.port}`);
    return declaration ? Promise.resolve(declaration) : Promise.reject(new Error('connect ECONNREFUSED'));
  }

  declare(neuron: Neuron, declaration: MinerDeclaration): void {
    this.byAxon.set(`${neuron.axon.ip}:${neuron.axon.port}`, declaration);
  }
}

/** Scores set by the test; scoring "does not answer" until some are set. */
export class StaticScores implements ScoresSource {
  answer: RpcResponse<'scores.miners'>['scores'] | undefined;

  minerScores(): Promise<RpcResponse<'scores.miners'>['scores']> {
    return this.answer ? Promise.resolve(this.answer) : Promise.reject(new Error('scoring did not answer'));
  }
}

export interface TestStack extends SelectionEngine {
  clock: ManualClock;
  status: StaticStatusReader;
  scoring: StaticScores;
  /** Applies a metagraph and reads every miner's declaration. */
  load(neurons: readonly Neuron[], block?: number): Promise<void>;
}

/** A selection engine over the given counters, with a manual clock, a seeded random source and Alice as validator. */
export function testStack(
  counters: QuotaCounters,
  options: Partial<Omit<SelectionEngineOptions, 'counters' | 'statusReader' | 'scoresSource'>> & {
    seed?: number;
  } = {},
): TestStack {
  const clock = new ManualClock();
  const status = new StaticStatusReader();
  const scoring = new StaticScores();
  const engine = createSelectionEngine({
    netuid: 1,
    validatorHotkey: hotkeys.alice,
    keyPrefix: 'test:managing:quota',
    windowMs: 600_000,
    topFraction: { synthetic: 1, organic: 1 },
    random: mulberry32(options.seed ?? 42),
    clock: clock.now,
    logger: silentLogger(),
    ...options,
    counters,
    statusReader: status,
    scoresSource: scoring,
  });
  let block = 0;
  return {
    ...engine,
    clock,
    status,
    scoring,
    async load(neurons, at) {
      block = at ?? block + 1;
      engine.registry.apply({ netuid: 1, block, neurons: [...neurons] });
      await engine.declarations.refresh(engine.registry.snapshot()?.miners ?? []);
    },
  };
}
