import type { KeyringPair } from '@polkadot/keyring/types';
import {
  ChainError,
  ChainErrorCode,
  type EmitWeights,
  type PendingCommit,
  revealWindow,
  type WeightsMode,
} from '@vstack/chain';
import type { WeightsJobState } from '@vstack/sidecar-client';
import type {
  ResolvedWeights,
  RevealedWeights,
  SubmittedWeights,
  WeightsChain,
  WeightsSubnetState,
} from './weights-chain';
import { unfinishedWeightsJobStates, type WeightsJobRecord } from './weights-job.entity';
import type { WeightsTimers } from './weights-job.runner';
import {
  type NewWeightsJob,
  replaceableWeightsJobStates,
  type WeightsJobChanges,
  type WeightsJobStore,
} from './weights-job.store';
import type { WeightsMetricsSink } from './weights.metrics';

// In-memory stand-ins for the weights jobs' chain, store, clock and metrics, for tests without a node.

/** The subnet of the fakes. */
export const NETUID = 1;
/** Virtual milliseconds per block. */
export const BLOCK_MS = 1_000;
/** The signer of the fakes; the fake chain knows it as uid 0. */
export const ALICE = { address: '5Alice' } as KeyringPair;

/** Virtual time: sleeping moves the clock (and so the fake chain's head) forward, unless aborted first. */
export class FakeTimers implements WeightsTimers {
  ms = 0;
  readonly sleeps: number[] = [];
  onSleep: ((timers: FakeTimers) => void | Promise<void>) | undefined;

  now(): number {
    return this.ms;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    // After the operations of this turn: a timeout raced against an answering operation loses.
    await new Promise((resolve) => setImmediate(resolve));
    if (signal?.aborted) return;
    this.ms += ms;
    this.sleeps.push(ms);
    await this.onSleep?.(this);
  }
}

type Failure = Error | 'hang';

/** A subnet with subtensor's rules that matter here: rate limit, modes, reveal windows. */
export class FakeChain implements WeightsChain {
  tempo = 60;
  weightsRateLimit = 10;
  mode: WeightsMode = 'direct';
  revealPeriodEpochs = 1;
  readonly uids = new Map<string, number>([
    [ALICE.address, 0],
    ['5Dave', 3],
    ['5Eve', 4],
  ]);
  readonly lastUpdate = new Map<number, number>();
  readonly weights = new Map<number, EmitWeights>();
  commits: PendingCommit[] = [];
  readonly submissions: { kind: 'set' | 'commit' | 'reveal'; block: number; at: number }[] = [];
  readonly failures: Failure[] = [];
  readonly revealFailures: Failure[] = [];
  beforeLanding: (() => Promise<void>) | undefined;
  #tx = 0;

  constructor(private readonly timers: FakeTimers) {}

  async head(): Promise<number> {
    return Promise.resolve(Math.floor(this.timers.ms / BLOCK_MS));
  }

  async subnet(): Promise<WeightsSubnetState> {
    return {
      head: await this.head(),
      tempo: this.tempo,
      weightsRateLimit: this.weightsRateLimit,
      mode: this.mode,
    };
  }

  resolve(
    _netuid: number,
    hotkey: string,
    weights: Readonly<Record<string, number>>,
  ): Promise<ResolvedWeights> {
    const byUid: Record<string, number> = {};
    const unknown: string[] = [];
    for (const [key, weight] of Object.entries(weights)) {
      const uid = this.uids.get(key);
      if (uid === undefined) unknown.push(key);
      else byUid[String(uid)] = weight;
    }
    const uid = this.uids.get(hotkey);
    return Promise.resolve({
      byUid,
      unknown,
      self: uid === undefined ? undefined : { uid, lastUpdate: this.lastUpdate.get(uid) ?? 0 },
    });
  }

  prepare(_netuid: number, byUid: Readonly<Record<string, number>>): Promise<EmitWeights> {
    const entries = Object.entries(byUid).filter(([, weight]) => weight > 0);
    const max = Math.max(...entries.map(([, weight]) => weight));
    return Promise.resolve({
      uids: entries.map(([uid]) => Number(uid)),
      weights: entries.map(([, weight]) => Math.round((weight / max) * 65_535)),
    });
  }

  async submit(
    signer: KeyringPair,
    netuid: number,
    byUid: Readonly<Record<string, number>>,
    mode: WeightsMode,
  ): Promise<SubmittedWeights> {
    if (mode === 'timelocked') {
      throw new ChainError(
        ChainErrorCode.CommitRevealModeUnsupported,
        `subnet ${netuid} requires timelocked commit-reveal: weights must be encrypted to a future drand round`,
      );
    }
    const block = (await this.head()) + 1;
    this.submissions.push({ kind: mode === 'direct' ? 'set' : 'commit', block, at: this.timers.ms });
    await this.#maybeFail(this.failures);
    const uid = this.uids.get(signer.address) ?? 0;
    const last = this.lastUpdate.get(uid) ?? 0;
    if (last !== 0 && block - last < this.weightsRateLimit) {
      throw moduleError(mode === 'direct' ? 'SettingWeightsTooFast' : 'CommittingWeightsTooFast');
    }
    const weights = await this.prepare(netuid, byUid);
    await this.beforeLanding?.();
    this.lastUpdate.set(uid, block);
    const txHash = `0xtx${++this.#tx}`;
    if (mode === 'direct') {
      this.weights.set(uid, weights);
      return { kind: 'set', txHash, block, count: weights.uids.length };
    }
    const window = revealWindow(netuid, this.tempo, this.revealPeriodEpochs, block);
    const commit: PendingCommit = {
      hotkey: signer.address,
      netuid,
      hash: `0xcommit${this.#tx}`,
      ...weights,
      salt: [1, 2, 3],
      versionKey: '0',
      commitBlock: block,
      firstRevealBlock: window.firstBlock,
      lastRevealBlock: window.lastBlock,
    };
    this.commits.push(commit);
    return { kind: 'committed', txHash, block, count: weights.uids.length, commit };
  }

  async reveal(signer: KeyringPair): Promise<RevealedWeights> {
    const outcome: RevealedWeights = { revealed: [], waiting: [], expired: [], failed: [] };
    const target = (await this.head()) + 1;
    for (const commit of [...this.commits]) {
      if (target < commit.firstRevealBlock) {
        outcome.waiting.push(commit.hash);
      } else if (target > commit.lastRevealBlock) {
        this.commits = this.commits.filter((c) => c !== commit);
        outcome.expired.push(commit.hash);
      } else {
        this.submissions.push({ kind: 'reveal', block: target, at: this.timers.ms });
        await this.#maybeFail(this.revealFailures);
        this.commits = this.commits.filter((c) => c !== commit);
        this.weights.set(this.uids.get(signer.address) ?? 0, { uids: commit.uids, weights: commit.weights });
        outcome.revealed.push({ hash: commit.hash, txHash: `0xreveal${++this.#tx}`, block: target });
      }
    }
    return outcome;
  }

  pendingCommits(): Promise<PendingCommit[]> {
    return Promise.resolve([...this.commits]);
  }

  removeCommit(_hotkey: string, _netuid: number, hash: string): Promise<void> {
    this.commits = this.commits.filter((commit) => commit.hash !== hash);
    return Promise.resolve();
  }

  weightsOf(_netuid: number, uid: number): Promise<EmitWeights> {
    return Promise.resolve(this.weights.get(uid) ?? { uids: [], weights: [] });
  }

  async #maybeFail(failures: Failure[]): Promise<void> {
    const failure = failures.shift();
    if (failure === 'hang') {
      await new Promise(() => undefined);
    } else if (failure) {
      throw failure;
    }
  }
}

export function moduleError(name: string): ChainError {
  return new ChainError(ChainErrorCode.ModuleError, `SubtensorModule.${name}`, {
    moduleError: { section: 'SubtensorModule', name, docs: '' },
  });
}

export class FakeStore implements WeightsJobStore {
  readonly jobs = new Map<string, WeightsJobRecord>();

  constructor(private readonly timers: FakeTimers) {}

  get(id: string): Promise<WeightsJobRecord | undefined> {
    const job = this.jobs.get(id);
    return Promise.resolve(job && structuredClone(job));
  }

  create(job: NewWeightsJob): Promise<{ job: WeightsJobRecord; created: boolean }> {
    const existing = this.jobs.get(job.id);
    if (existing) return Promise.resolve({ job: structuredClone(existing), created: false });
    const now = new Date(this.timers.ms);
    const record: WeightsJobRecord = {
      id: job.id,
      identity: job.identity,
      netuid: job.netuid,
      epoch: job.epoch,
      state: job.state ?? 'scheduled',
      source: job.source,
      mode: null,
      weights: job.weights,
      count: job.count,
      attempts: 0,
      txHash: null,
      block: null,
      commitHash: null,
      revealFromBlock: null,
      revealUntilBlock: null,
      revealTxHash: null,
      revealBlock: null,
      lastError: job.lastError ?? null,
      lastAttemptBlock: null,
      createdAt: now,
      updatedAt: now,
    };
    this.jobs.set(job.id, record);
    return Promise.resolve({ job: structuredClone(record), created: true });
  }

  update(
    id: string,
    from: readonly WeightsJobState[],
    changes: WeightsJobChanges,
  ): Promise<WeightsJobRecord | undefined> {
    const job = this.jobs.get(id);
    if (!job || !from.includes(job.state)) return Promise.resolve(undefined);
    const updated = Object.assign(structuredClone(job), changes, { updatedAt: new Date(this.timers.ms) });
    this.jobs.set(id, updated);
    return Promise.resolve(structuredClone(updated));
  }

  findByCommitHash(hash: string): Promise<WeightsJobRecord | undefined> {
    return Promise.resolve([...this.jobs.values()].find((job) => job.commitHash === hash));
  }

  async supersede(job: WeightsJobRecord, reason: string): Promise<WeightsJobRecord[]> {
    const cancelled: WeightsJobRecord[] = [];
    for (const other of [...this.jobs.values()]) {
      const older = other.createdAt.getTime() < job.createdAt.getTime();
      if (
        !older ||
        other.identity !== job.identity ||
        other.netuid !== job.netuid ||
        other.epoch > job.epoch
      ) {
        continue;
      }
      const updated = await this.update(other.id, replaceableWeightsJobStates, {
        state: 'cancelled',
        lastError: reason,
      });
      if (updated) cancelled.push(updated);
    }
    return cancelled;
  }

  history(): Promise<WeightsJobRecord[]> {
    return Promise.resolve([...this.jobs.values()].reverse());
  }

  unfinished(): Promise<WeightsJobRecord[]> {
    return Promise.resolve(
      [...this.jobs.values()]
        .filter((job) => unfinishedWeightsJobStates.includes(job.state))
        .map((job) => structuredClone(job)),
    );
  }

  async cancel(id: string): Promise<void> {
    await this.update(id, ['scheduled', 'submitting'], { state: 'cancelled', lastError: 'superseded' });
  }
}

export class RecordingMetrics implements WeightsMetricsSink {
  readonly attempts: string[] = [];
  readonly jobs: string[] = [];

  attempt(operation: string, outcome: string): void {
    this.attempts.push(`${operation}:${outcome}`);
  }

  jobFinished(outcome: string): void {
    this.jobs.push(outcome);
  }
}
