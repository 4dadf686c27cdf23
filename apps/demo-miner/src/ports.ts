import { setTimeout as delay } from 'node:timers/promises';
import { mulberry32, type RandomSource } from '@vstack/protocol';

/** Waits; the one place the demo miner's added latency touches the clock. */
export interface Sleeper {
  sleep(ms: number): Promise<void>;
}

/** Injection token of the demo miner's `RandomSource` (failure, garbage and error rolls, jitter). */
export const DEMO_MINER_RANDOM = Symbol('demo-miner:random');
/** Injection token of the demo miner's `Sleeper`. */
export const DEMO_MINER_SLEEPER = Symbol('demo-miner:sleeper');
/** Injection token of the demo miner's `DemoMinerBehaviour`. */
export const DEMO_MINER_BEHAVIOUR = Symbol('demo-miner:behaviour');
/** Injection token of the `ReferenceContext` the demo miner answers with (its "model"). */
export const DEMO_MINER_REFERENCE = Symbol('demo-miner:reference');

/** Sleeps on a real timer. */
export const timerSleeper: Sleeper = {
  async sleep(ms) {
    await delay(ms);
  },
};

/** A seeded source when a seed is configured, so runs repeat; otherwise `Math.random`. */
export function randomSourceFor(seed: number | undefined): RandomSource {
  return seed === undefined ? Math.random : mulberry32(seed);
}
