import { setTimeout as sleep } from 'node:timers/promises';
import type {
  MinerReport,
  OrganicSampledEvent,
  RpcResponse,
  SelectedMiner,
  TaskChunkEvent,
  TaskProgressEvent,
  TaskPurpose,
} from '@vstack/contracts';
import type { AnyTaskType } from '@vstack/protocol';

// What the validator reads and writes besides its own code: the clock, timers, randomness, managing, scoring,
// the event bus and the miners. Services depend on these interfaces; tests pass fakes.

/** The current time in unix ms. */
export type Clock = () => number;

/** Waits that a test can drive by hand. */
export interface Timers {
  /** Resolves after `ms`, or at once when `signal` aborts (it never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Miners for a task, from managing. */
export type MinerSelection = RpcResponse<'miners.select'>;

/** managing: which miners to ask, and how each call went. */
export interface MinerDirectory {
  select(request: { taskType: string; count: number; purpose: TaskPurpose }): Promise<MinerSelection>;
  /** Reports one call; never rejects (a lost report only weakens managing's health view). */
  report(report: MinerReport): Promise<void>;
}

/** scoring: the weight vector it would set now. */
export interface WeightsSource {
  /** Weight per miner hotkey; throws when scoring does not answer. */
  weights(netuid: number): Promise<Record<string, number>>;
}

/** The validator's broadcasts; none of them rejects (a lost event never fails a task). */
export interface TaskEvents {
  progress(event: TaskProgressEvent): Promise<void>;
  chunk(event: TaskChunkEvent): Promise<void>;
  sampled(event: OrganicSampledEvent): Promise<void>;
}

/** One request to one miner. */
export interface MinerCall {
  miner: SelectedMiner;
  taskType: AnyTaskType;
  /** The request as validated against the task type's schema. */
  request: unknown;
  /** Ask for a server-sent event stream (chat completions with `stream: true`). */
  stream: boolean;
  /** Aborting it cancels the call: a hedge lost, or the validator is stopping. */
  signal: AbortSignal;
  /** Each data payload of a streamed answer, as it arrives (not the final `[DONE]`). */
  onChunk?: (data: string) => void;
}

/** How a call to a miner ended. */
export type MinerCallOutcome =
  'ok' | 'timeout' | 'unreachable' | 'http_error' | 'invalid' | 'bad_signature' | 'cancelled';

export type MinerCallResult =
  | {
      readonly outcome: 'ok';
      readonly latencyMs: number;
      /** The answer, validated against the task type's response schema. */
      readonly response: unknown;
      /** The answer came as a stream and was put together from its chunks. */
      readonly streamed: boolean;
      /** The miner signed the answer and the signature holds. */
      readonly signed: boolean;
    }
  | {
      readonly outcome: Exclude<MinerCallOutcome, 'ok'>;
      readonly latencyMs: number;
      readonly error: string;
      /** The JSON the miner sent when it does not match the response schema; null otherwise. */
      readonly body: unknown;
    };

/** Sends Epistula-signed requests to miners' axons. */
export interface MinerCaller {
  call(call: MinerCall): Promise<MinerCallResult>;
}

export const CLOCK = Symbol('validator:clock');
export const TIMERS = Symbol('validator:timers');
export const RANDOM = Symbol('validator:random');
export const MINER_DIRECTORY = Symbol('validator:miner-directory');
export const WEIGHTS_SOURCE = Symbol('validator:weights-source');
export const TASK_EVENTS = Symbol('validator:task-events');
export const MINER_CALLER = Symbol('validator:miner-caller');
export const JOB_SENDER = Symbol('validator:job-sender');
export const VALIDATOR_SETTINGS = Symbol('validator:settings');
export const QUEUE_CONNECTION = Symbol('validator:queue-connection');

/** Real timers: the sleep resolves early, without an error, when its signal aborts. */
export const realTimers: Timers = {
  sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : {}).catch(() => undefined),
};
