import { setTimeout as sleep } from 'node:timers/promises';
import type { SyntheticTaskPayload } from '@vstack/queues';

// What synthesizing reads and writes besides its own code: the clock, timers, randomness, the synthetic queue
// and the store of sampled organic requests. Services depend on these interfaces; tests pass fakes.

/** The current time in unix ms. */
export type Clock = () => number;

/** Waits that a test can drive by hand. */
export interface Timers {
  /** Resolves after `ms`, or at once when `signal` aborts (it never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The synthetic-tasks queue as synthesizing sees it. */
export interface SyntheticQueue {
  /** Tasks waiting to be taken (waiting, or delayed for a retry); the ones being handled do not count. */
  depth(): Promise<number>;
  /** Adds a task under its task id. */
  add(task: SyntheticTaskPayload): Promise<void>;
}

/** A sampled organic request: no caller identity, no task id. */
export interface OrganicSample {
  readonly sampleId: string;
  readonly taskType: string;
  /** The request as validated against its task type's schema. */
  readonly request: unknown;
  /** Unix ms. */
  readonly sampledAt: number;
}

/** Where sampled organic requests wait to be replayed. */
export interface SampleStore {
  /** Stores a sample; false when one with its id is stored already. */
  add(sample: OrganicSample): Promise<boolean>;
  /** Takes (and deletes) the newest stored request of a task type, or undefined when there is none. */
  take(taskType: string): Promise<unknown>;
  /** Deletes samples older than `olderThan` (unix ms) and all but the newest `keepPerTaskType` of each task type. */
  prune(olderThan: number, keepPerTaskType: number): Promise<number>;
  /** Stored samples by task type. */
  counts(): Promise<Record<string, number>>;
}

export const CLOCK = Symbol('synthesizing:clock');
export const TIMERS = Symbol('synthesizing:timers');
export const RANDOM = Symbol('synthesizing:random');
export const SYNTHETIC_QUEUE = Symbol('synthesizing:synthetic-queue');
export const SAMPLE_STORE = Symbol('synthesizing:sample-store');
export const SYNTHESIZING_SETTINGS = Symbol('synthesizing:settings');

/** Real timers: the sleep resolves early, without an error, when its signal aborts. */
export const realTimers: Timers = {
  sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : {}).catch(() => undefined),
};
