import type {
  OrganicSampledEvent,
  SelectedMiner,
  TaskChunkEvent,
  TaskProgressEvent,
} from '@vstack/contracts';
import type { AddedJob, AddJobOptions, JobName, JobOf, JobSender } from '@vstack/queues';
import { jobDefinitions } from '@vstack/queues';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ValidatorMetrics } from './metrics';
import type {
  Clock,
  MinerCall,
  MinerCallResult,
  MinerCaller,
  MinerDirectory,
  MinerSelection,
  TaskEvents,
  Timers,
} from './ports';
import type { ValidatorSettings } from './settings';

// Fakes of the validator's ports for its unit tests: time moves only when a test says so.

export const silentLogger = pino({ level: 'silent' });

export function testMetrics(): ValidatorMetrics {
  return new ValidatorMetrics(new Registry());
}

export function testSettings(overrides: Partial<ValidatorSettings> = {}): ValidatorSettings {
  return {
    netuid: 1,
    organicConcurrency: 4,
    syntheticConcurrency: 4,
    syntheticMiners: 3,
    organicAttempts: 3,
    hedgeDelayShare: 0.25,
    organicScoringShare: 1,
    organicSampleShare: 0,
    minerConnections: 4,
    maxResponseBytes: 1_048_576,
    rpcTimeoutMs: 1_000,
    weightsIdentity: undefined,
    releaseAfterMs: 1_000,
    ...overrides,
  };
}

/** Lets promise callbacks and I/O callbacks queued so far run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** A clock and timers that move only on `advance`. */
export class ManualTime {
  now = 1_700_000_000_000;
  private waiting: { at: number; resolve: () => void }[] = [];

  readonly clock: Clock = () => this.now;

  readonly timers: Timers = {
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) {
          resolve();
          return;
        }
        const entry = { at: this.now + ms, resolve };
        this.waiting.push(entry);
        signal?.addEventListener(
          'abort',
          () => {
            this.waiting = this.waiting.filter((waiting) => waiting !== entry);
            resolve();
          },
          { once: true },
        );
      }),
  };

  /** Moves time on and wakes the sleeps that are due, then lets their callbacks run. */
  async advance(ms: number): Promise<void> {
    this.now += ms;
    const due = this.waiting.filter((waiting) => waiting.at <= this.now);
    this.waiting = this.waiting.filter((waiting) => waiting.at > this.now);
    for (const waiting of due) waiting.resolve();
    await settle();
  }

  /** Sleeps still waiting. */
  get sleeping(): number {
    return this.waiting.length;
  }
}

/** A miner with a valid SS58 hotkey (the dev accounts' addresses). */
export const hotkeys = [
  '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY',
  '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty',
  '5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y',
  '5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy',
  '5HGjWAeFDfFCWPsjFQdVV2Msvz2XtMktvgocEZcCj68kUMaw',
] as const;

export function minerOf(uid: number): SelectedMiner {
  return {
    uid,
    hotkey: hotkeys[uid % hotkeys.length] ?? hotkeys[0],
    axon: { ip: '127.0.0.1', port: 8_000 + uid, protocol: 4 },
  };
}

export function ok(response: unknown, latencyMs = 10, streamed = false): MinerCallResult {
  return { outcome: 'ok', latencyMs, response, streamed, signed: false };
}

export function failure(
  outcome: Exclude<MinerCallResult['outcome'], 'ok'>,
  error: string = outcome,
  latencyMs = 10,
  body: unknown = null,
): MinerCallResult {
  return { outcome, latencyMs, error, body };
}

interface PendingCall {
  call: MinerCall;
  resolve(result: MinerCallResult): void;
}

/**
 * Miners a test answers for by hand: a call waits until the test answers it (or its signal aborts, which makes it
 * `cancelled`), unless an answer was scripted for the miner beforehand.
 */
export class FakeMiners implements MinerCaller {
  readonly calls: MinerCall[] = [];
  private readonly pending = new Map<number, PendingCall>();
  private readonly scripted = new Map<number, MinerCallResult>();

  /** Every call to this miner answers at once with `result`. */
  script(uid: number, result: MinerCallResult): this {
    this.scripted.set(uid, result);
    return this;
  }

  call(call: MinerCall): Promise<MinerCallResult> {
    this.calls.push(call);
    return new Promise((resolve) => {
      const scripted = this.scripted.get(call.miner.uid);
      if (scripted) {
        resolve(scripted);
        return;
      }
      const onAbort = () => {
        this.pending.delete(call.miner.uid);
        resolve(failure('cancelled', 'cancelled', 0));
      };
      call.signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(call.miner.uid, {
        call,
        resolve: (result) => {
          call.signal.removeEventListener('abort', onAbort);
          this.pending.delete(call.miner.uid);
          resolve(result);
        },
      });
    });
  }

  /** Answers the waiting call to a miner. */
  answer(uid: number, result: MinerCallResult): void {
    const pending = this.pending.get(uid);
    if (!pending) throw new Error(`no call waits on miner ${uid}`);
    pending.resolve(result);
  }

  /** Sends a stream chunk from the waiting call's miner. */
  chunk(uid: number, data: string): void {
    const pending = this.pending.get(uid);
    if (!pending) throw new Error(`no call waits on miner ${uid}`);
    pending.call.onChunk?.(data);
  }

  /** The uids called, in order. */
  get asked(): number[] {
    return this.calls.map((call) => call.miner.uid);
  }

  /** The uids whose calls are still waiting. */
  get waiting(): number[] {
    return [...this.pending.keys()];
  }
}

/** managing: hands out the listed miners in order, and records what it was asked and told. */
export class FakeDirectory implements MinerDirectory {
  readonly selections: Parameters<MinerDirectory['select']>[0][] = [];
  readonly reports: Parameters<MinerDirectory['report']>[0][] = [];
  failWith: Error | undefined;

  constructor(
    public miners: SelectedMiner[],
    public reason?: Pick<MinerSelection, 'reason' | 'reasonCode'>,
  ) {}

  select(request: Parameters<MinerDirectory['select']>[0]): Promise<MinerSelection> {
    this.selections.push(request);
    if (this.failWith) return Promise.reject(this.failWith);
    const miners = this.miners.slice(0, request.count);
    return Promise.resolve({
      miners,
      ...(miners.length < request.count ? (this.reason ?? {}) : {}),
    });
  }

  report(report: Parameters<MinerDirectory['report']>[0]): Promise<void> {
    this.reports.push(report);
    return Promise.resolve();
  }
}

/** The event bus, recorded. */
export class FakeEvents implements TaskEvents {
  readonly progressEvents: TaskProgressEvent[] = [];
  readonly chunks: TaskChunkEvent[] = [];
  readonly samples: OrganicSampledEvent[] = [];

  progress(event: TaskProgressEvent): Promise<void> {
    this.progressEvents.push(event);
    return Promise.resolve();
  }

  chunk(event: TaskChunkEvent): Promise<void> {
    this.chunks.push(event);
    return Promise.resolve();
  }

  sampled(event: OrganicSampledEvent): Promise<void> {
    this.samples.push(event);
    return Promise.resolve();
  }

  stages(taskId?: string): string[] {
    return this.progressEvents
      .filter((event) => taskId === undefined || event.taskId === taskId)
      .map((event) => (event.minerUid === undefined ? event.stage : `${event.stage}:${event.minerUid}`));
  }
}

/** The queues, recorded; like BullMQ, a second job with the same id is not added. */
export class FakeJobs implements JobSender {
  readonly jobs: { name: JobName; payload: unknown; jobId: string }[] = [];
  failWith: Error | undefined;

  add<T extends JobName>(name: T, payload: JobOf<T>, options: AddJobOptions): Promise<AddedJob> {
    if (this.failWith) return Promise.reject(this.failWith);
    const parsed = jobDefinitions[name].schema.parse(payload);
    if (!this.jobs.some((job) => job.jobId === options.jobId && job.name === name)) {
      this.jobs.push({ name, payload: parsed, jobId: options.jobId });
    }
    return Promise.resolve({ queue: jobDefinitions[name].queue, name, jobId: options.jobId });
  }

  of<T extends JobName>(name: T): { payload: JobOf<T>; jobId: string }[] {
    return this.jobs
      .filter((job) => job.name === name)
      .map((job) => ({ payload: job.payload as JobOf<T>, jobId: job.jobId }));
  }
}
