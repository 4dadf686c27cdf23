import { setTimeout as sleep } from 'node:timers/promises';
import type { KeyringPair } from '@polkadot/keyring/types';
import {
  type ChainLogger,
  ChainErrorCode,
  type EmitWeights,
  errorMessage,
  isChainError,
  isModuleError,
} from '@vstack/chain';
import type { WeightsJobState } from '@vstack/sidecar-client';
import type { ResolvedWeights, SubmittedWeights, WeightsChain, WeightsSubnetState } from './weights-chain';
import { isFinalState, unfinishedWeightsJobStates, type WeightsJobRecord } from './weights-job.entity';
import {
  replaceableWeightsJobStates,
  type WeightsJobChanges,
  type WeightsJobStore,
} from './weights-job.store';
import type {
  WeightsAttemptOutcome,
  WeightsJobOutcome,
  WeightsMetricsSink,
  WeightsOperation,
} from './weights.metrics';

/** The clock and sleep of the runner; fakes make waiting for blocks instant in tests. */
export interface WeightsTimers {
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Wall-clock timers. */
export const realTimers: WeightsTimers = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : {}).catch(() => undefined),
};

export interface WeightsRunnerOptions {
  /** How long one attempt (reads included) may take. */
  attemptTimeoutMs: number;
  /** First delay after a failed attempt; it doubles up to maxRetryDelayMs. */
  retryDelayMs: number;
  /** Default 60 s. */
  maxRetryDelayMs?: number;
  /** How often a waiting job looks at the chain head and at its own record. Default 1 s. */
  pollIntervalMs?: number;
}

export interface WeightsRunnerDependencies {
  chain: WeightsChain;
  store: WeightsJobStore;
  timers: WeightsTimers;
  metrics: WeightsMetricsSink;
  logger: ChainLogger;
  /** The hotkey of an identity; undefined when the sidecar has no identity of that name. */
  signerFor: (identity: string) => KeyringPair | undefined;
  options: WeightsRunnerOptions;
}

/** The run stopped because the process is shutting down; the job is left for the next run. */
export class WeightsRunInterrupted extends Error {
  constructor(id: string) {
    super(`weights job ${id} was interrupted by shutdown; it resumes on the next run`);
    this.name = 'WeightsRunInterrupted';
  }
}

/** The job left the states a step works in (cancelled, or moved on by another run). */
class StateChanged extends Error {
  constructor(readonly job: WeightsJobRecord) {
    super(`weights job ${job.id} is now ${job.state}`);
  }
}

class AttemptTimeout extends Error {
  constructor(ms: number) {
    super(`the attempt took longer than ${ms} ms`);
    this.name = 'AttemptTimeout';
  }
}

interface Run {
  id: string;
  signer: KeyringPair;
  signal: AbortSignal | undefined;
}

const RATE_LIMIT_ERRORS = new Set(['SettingWeightsTooFast', 'CommittingWeightsTooFast']);

/** Chain lib errors no retry within the epoch can fix. */
const PERMANENT_CODES = new Set<ChainErrorCode>([
  ChainErrorCode.InvalidWeights,
  ChainErrorCode.CommitRevealModeUnsupported,
  ChainErrorCode.Unsupported,
  ChainErrorCode.SubnetNotFound,
  ChainErrorCode.InvalidOptions,
  ChainErrorCode.KeyLoadFailed,
]);

/** Runtime errors that say the weights or the neuron cannot be accepted this epoch, whatever the timing. */
const PERMANENT_MODULE_ERRORS = new Set([
  'HotKeyNotRegisteredInSubNet',
  'HotKeyNotRegisteredInNetwork',
  'NotEnoughStakeToSetWeights',
  'NeuronNoValidatorPermit',
  'WeightVecLengthIsLow',
  'WeightVecNotEqualSize',
  'MaxWeightExceeded',
  'UidVecContainInvalidOne',
  'UidsLengthExceedUidsInSubNet',
  'DuplicateUids',
  'CanNotSetRootNetworkWeights',
  'SubNetworkDoesNotExist',
  'InvalidRevealCommitHashNotMatch',
  'ExpiredWeightCommit',
]);

function isPermanent(error: unknown): boolean {
  if (!isChainError(error)) return false;
  if (PERMANENT_CODES.has(error.code)) return true;
  const name = error.moduleErrorName;
  return name !== undefined && PERMANENT_MODULE_ERRORS.has(name);
}

function isRateLimited(error: unknown): boolean {
  return isChainError(error) && RATE_LIMIT_ERRORS.has(error.moduleErrorName ?? '');
}

function attemptOutcome(error: unknown): WeightsAttemptOutcome {
  if (error instanceof AttemptTimeout || isChainError(error, ChainErrorCode.Timeout)) return 'timeout';
  return isRateLimited(error) ? 'rate_limited' : 'error';
}

/** The last block of epoch index `epoch` on a subnet (subtensor's get_epoch_index); no end when tempo is 0. */
export function epochLastBlock(netuid: number, tempo: number, epoch: number): number {
  if (tempo === 0) return Number.POSITIVE_INFINITY;
  return (epoch + 1) * (tempo + 1) - netuid - 2;
}

/** True when two u16 weight vectors give every uid the same weight. */
export function sameWeights(a: EmitWeights, b: EmitWeights): boolean {
  const of = (weights: EmitWeights) => {
    const map = new Map<number, number>();
    weights.uids.forEach((uid, index) => {
      const weight = weights.weights[index] ?? 0;
      if (weight > 0) map.set(uid, weight);
    });
    return map;
  };
  const left = of(a);
  const right = of(b);
  return left.size === right.size && [...left].every(([uid, weight]) => right.get(uid) === weight);
}

function positiveCount(byUid: Readonly<Record<string, number>>): number {
  return Object.values(byUid).filter((weight) => weight > 0).length;
}

/**
 * The state machine of one weights job: scheduled → submitting → succeeded (set_weights), or submitting →
 * committed → revealed → succeeded (commit-reveal); expired when its epoch (or reveal window) ends first,
 * failed when the chain refuses for good, cancelled by a newer job. Every step starts from the stored record,
 * so a run can stop anywhere (crash, shutdown, re-delivery) and the next run carries on without sending the
 * same extrinsic twice.
 */
export class WeightsJobRunner {
  readonly #chain: WeightsChain;
  readonly #store: WeightsJobStore;
  readonly #timers: WeightsTimers;
  readonly #metrics: WeightsMetricsSink;
  readonly #logger: ChainLogger;
  readonly #signerFor: (identity: string) => KeyringPair | undefined;
  readonly #attemptTimeoutMs: number;
  readonly #retryDelayMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #pollIntervalMs: number;

  constructor(dependencies: WeightsRunnerDependencies) {
    this.#chain = dependencies.chain;
    this.#store = dependencies.store;
    this.#timers = dependencies.timers;
    this.#metrics = dependencies.metrics;
    this.#logger = dependencies.logger;
    this.#signerFor = dependencies.signerFor;
    this.#attemptTimeoutMs = dependencies.options.attemptTimeoutMs;
    this.#retryDelayMs = dependencies.options.retryDelayMs;
    this.#maxRetryDelayMs = dependencies.options.maxRetryDelayMs ?? 60_000;
    this.#pollIntervalMs = dependencies.options.pollIntervalMs ?? 1_000;
  }

  /**
   * Runs job `id` from its stored state to a final one; resolves with the final record (undefined for an
   * unknown id). Throws WeightsRunInterrupted when `signal` aborts first.
   */
  async run(id: string, signal?: AbortSignal): Promise<WeightsJobRecord | undefined> {
    let job = await this.#store.get(id);
    if (!job) return undefined;
    if (isFinalState(job.state)) return job;
    const signer = this.#signerFor(job.identity);
    if (!signer) {
      const reason =
        job.identity === ''
          ? `no identity acts on subnet ${job.netuid}`
          : `no identity named "${job.identity}" is configured`;
      job = await this.#settle(job, unfinishedWeightsJobStates, 'failed', { lastError: reason });
      return job;
    }
    const run: Run = { id, signer, signal };
    for (;;) {
      try {
        switch (job.state) {
          case 'succeeded':
          case 'expired':
          case 'cancelled':
          case 'failed':
            return job;
          case 'scheduled':
          case 'submitting':
            job = await this.#submit(run, job);
            break;
          case 'committed':
            job = await this.#reveal(run, job);
            break;
          case 'revealed':
            job = await this.#settle(job, ['revealed'], 'succeeded', {});
            break;
        }
      } catch (error) {
        if (!(error instanceof StateChanged)) throw error;
        job = error.job;
      }
    }
  }

  /** Puts the weights on chain (set_weights or commit_weights) within the job's epoch. */
  async #submit(run: Run, start: WeightsJobRecord): Promise<WeightsJobRecord> {
    const from = replaceableWeightsJobStates;
    let job = start;
    let failures = 0;
    for (;;) {
      job = await this.#checkpoint(run, from);
      let subnet: WeightsSubnetState;
      let resolved: ResolvedWeights;
      try {
        ({ subnet, resolved } = await this.#limited(run, async () => {
          const state = await this.#chain.subnet(job.netuid);
          return {
            subnet: state,
            resolved: await this.#chain.resolve(job.netuid, run.signer.address, job.weights),
          };
        }));
      } catch (error) {
        if (error instanceof WeightsRunInterrupted) throw error;
        if (isPermanent(error)) return this.#settle(job, from, 'failed', { lastError: errorMessage(error) });
        failures += 1;
        job = await this.#note(job, from, {
          lastError: `reading subnet ${job.netuid}: ${errorMessage(error)}`,
        });
        await this.#pause(run, from, this.#backoff(failures));
        continue;
      }

      const lastBlock = epochLastBlock(job.netuid, subnet.tempo, job.epoch);
      const nextBlock = subnet.head + 1;
      if (nextBlock > lastBlock) {
        return this.#settle(job, from, 'expired', {
          lastError: `epoch ${job.epoch} of subnet ${job.netuid} ended in block ${lastBlock} before the weights reached the chain`,
        });
      }
      const self = resolved.self;
      if (!self) {
        return this.#settle(job, from, 'failed', {
          lastError: `hotkey ${run.signer.address} of identity "${job.identity}" is not registered on subnet ${job.netuid}`,
        });
      }
      if (
        job.state === 'submitting' &&
        job.lastAttemptBlock !== null &&
        self.lastUpdate > job.lastAttemptBlock
      ) {
        const recognised = await this.#recogniseSubmission(run, job, subnet, resolved, self);
        if (recognised) return recognised;
      }
      if (Object.keys(resolved.byUid).length === 0) {
        return this.#settle(job, from, 'failed', {
          lastError: `none of the ${resolved.unknown.length} hotkeys is registered on subnet ${job.netuid}`,
        });
      }
      if (subnet.mode !== 'timelocked') {
        // The chain accepts the next set_weights or commit in block lastUpdate + WeightsSetRateLimit (0: never set).
        const allowedFrom = self.lastUpdate === 0 ? 0 : self.lastUpdate + subnet.weightsRateLimit;
        if (allowedFrom > nextBlock) {
          if (allowedFrom > lastBlock) {
            return this.#settle(job, from, 'expired', {
              lastError:
                `the weights rate limit (${subnet.weightsRateLimit} blocks after block ${self.lastUpdate}) allows ` +
                `the next submission in block ${allowedFrom}, after epoch ${job.epoch} ends in block ${lastBlock}`,
            });
          }
          this.#logger.info(
            { job: job.id, netuid: job.netuid, head: subnet.head, allowedFrom },
            'weights rate limit: waiting for the block that allows the next submission',
          );
          await this.#waitForBlock(run, from, allowedFrom - 1);
          continue;
        }
      }

      const operation: WeightsOperation = subnet.mode === 'direct' ? 'set' : 'commit';
      job = await this.#note(job, from, {
        state: 'submitting',
        attempts: job.attempts + 1,
        lastAttemptBlock: subnet.head,
        count: positiveCount(resolved.byUid),
      });
      const started = this.#timers.now();
      let submitted: SubmittedWeights;
      try {
        submitted = await this.#limited(run, () =>
          this.#chain.submit(run.signer, job.netuid, resolved.byUid, subnet.mode),
        );
      } catch (error) {
        if (error instanceof WeightsRunInterrupted) throw error;
        const outcome = attemptOutcome(error);
        this.#metrics.attempt(operation, outcome, this.#seconds(started));
        const message = `${operation} attempt ${job.attempts} failed: ${errorMessage(error)}`;
        if (isPermanent(error)) return this.#settle(job, from, 'failed', { lastError: message });
        this.#logger.warn({ job: job.id, netuid: job.netuid, outcome }, message);
        job = await this.#note(job, from, { lastError: message });
        if (outcome === 'rate_limited') {
          // Read the neuron's last update again from the next block on, instead of burning attempts.
          await this.#waitForBlock(run, from, subnet.head + 1);
          continue;
        }
        failures += 1;
        await this.#pause(run, from, this.#backoff(failures));
        continue;
      }
      this.#metrics.attempt(operation, 'ok', this.#seconds(started));
      return this.#landed(run, job, submitted);
    }
  }

  /** Records a set_weights or commit that reached a block. */
  async #landed(run: Run, job: WeightsJobRecord, submitted: SubmittedWeights): Promise<WeightsJobRecord> {
    const onChain = { txHash: submitted.txHash, block: submitted.block, count: submitted.count };
    if (submitted.kind === 'set') {
      const done = await this.#transition(job, ['submitting'], 'succeeded', { ...onChain, mode: 'direct' });
      if (done) return done;
      return this.#landedAfterCancel(job.id, onChain, 'direct', 'set_weights');
    }
    const { commit } = submitted;
    const committed = await this.#transition(job, ['submitting'], 'committed', {
      ...onChain,
      mode: 'commit-reveal',
      commitHash: commit.hash,
      revealFromBlock: commit.firstRevealBlock,
      revealUntilBlock: commit.lastRevealBlock,
    });
    if (committed) {
      this.#logger.info(
        { job: job.id, netuid: job.netuid, block: submitted.block, revealFrom: commit.firstRevealBlock },
        'weights committed; the reveal follows in the reveal window',
      );
      return committed;
    }
    // Cancelled while the commit was in flight: without its stored salt it is never revealed.
    await this.#chain.removeCommit(run.signer.address, job.netuid, commit.hash);
    return this.#landedAfterCancel(job.id, onChain, 'commit-reveal', 'commit_weights');
  }

  async #landedAfterCancel(
    id: string,
    onChain: { txHash: string; block: number; count: number },
    mode: WeightsJobRecord['mode'],
    call: string,
  ): Promise<WeightsJobRecord> {
    const current = await this.#reload(id);
    if (current.state !== 'cancelled') return current;
    const note = `its ${call} was already on its way and landed in block ${onChain.block}`;
    const annotated = await this.#store.update(id, ['cancelled'], {
      ...onChain,
      mode,
      lastError: current.lastError ? `${current.lastError}; ${note}` : note,
    });
    return annotated ?? current;
  }

  /**
   * After a crash or a timed-out attempt the extrinsic may have landed anyway: the neuron's last update moved
   * past the attempt. Adopt what is on chain (direct) or in the commit store (commit) when it matches.
   */
  async #recogniseSubmission(
    run: Run,
    job: WeightsJobRecord,
    subnet: WeightsSubnetState,
    resolved: ResolvedWeights,
    self: { uid: number; lastUpdate: number },
  ): Promise<WeightsJobRecord | undefined> {
    try {
      const prepared = await this.#limited(run, () => this.#chain.prepare(job.netuid, resolved.byUid));
      const since = job.lastAttemptBlock ?? 0;
      if (subnet.mode === 'direct') {
        const onChain = await this.#limited(run, () => this.#chain.weightsOf(job.netuid, self.uid));
        if (!sameWeights(onChain, prepared)) return undefined;
        return await this.#transition(job, ['submitting'], 'succeeded', {
          mode: 'direct',
          block: self.lastUpdate,
          count: prepared.uids.length,
          lastError: `set_weights of attempt ${job.attempts} landed by block ${self.lastUpdate}; its hash is unknown`,
        });
      }
      const pending = await this.#chain.pendingCommits(run.signer.address, job.netuid);
      const mine = pending.find((commit) => commit.commitBlock > since && sameWeights(commit, prepared));
      if (!mine || (await this.#store.findByCommitHash(mine.hash))) return undefined;
      return await this.#transition(job, ['submitting'], 'committed', {
        mode: 'commit-reveal',
        block: mine.commitBlock,
        count: prepared.uids.length,
        commitHash: mine.hash,
        revealFromBlock: mine.firstRevealBlock,
        revealUntilBlock: mine.lastRevealBlock,
      });
    } catch (error) {
      if (error instanceof WeightsRunInterrupted) throw error;
      this.#logger.warn(
        { job: job.id, err: errorMessage(error) },
        'could not tell whether an earlier attempt landed; trying again',
      );
      return undefined;
    }
  }

  /** Reveals the job's commit inside its reveal window. */
  async #reveal(run: Run, start: WeightsJobRecord): Promise<WeightsJobRecord> {
    const from: readonly WeightsJobState[] = ['committed'];
    let job = start;
    let failures = 0;
    for (;;) {
      job = await this.#checkpoint(run, from);
      const { revealFromBlock: first, revealUntilBlock: last, commitHash: hash } = job;
      if (first === null || last === null || hash === null) {
        return this.#settle(job, from, 'failed', {
          lastError: 'the job is committed but its commit is not recorded',
        });
      }
      let head: number;
      try {
        head = await this.#limited(run, () => this.#chain.head());
      } catch (error) {
        if (error instanceof WeightsRunInterrupted) throw error;
        failures += 1;
        job = await this.#note(job, from, { lastError: `reading the chain head: ${errorMessage(error)}` });
        await this.#pause(run, from, this.#backoff(failures));
        continue;
      }
      // The reveal lands in the next block at the earliest.
      if (head + 1 > last) {
        await this.#chain.removeCommit(run.signer.address, job.netuid, hash);
        return this.#settle(job, from, 'expired', {
          lastError: `the reveal window (blocks ${first} to ${last}) closed before the reveal reached the chain`,
        });
      }
      if (head + 1 < first) {
        await this.#waitForBlock(run, from, first - 1);
        continue;
      }

      const started = this.#timers.now();
      let outcome: Awaited<ReturnType<WeightsChain['reveal']>>;
      try {
        outcome = await this.#limited(run, () => this.#chain.reveal(run.signer, job.netuid));
      } catch (error) {
        if (error instanceof WeightsRunInterrupted) throw error;
        this.#metrics.attempt('reveal', attemptOutcome(error), this.#seconds(started));
        const message = `reveal attempt ${job.attempts + 1} failed: ${errorMessage(error)}`;
        if (isPermanent(error)) {
          return this.#settle(job, from, 'failed', { attempts: job.attempts + 1, lastError: message });
        }
        failures += 1;
        job = await this.#note(job, from, { attempts: job.attempts + 1, lastError: message });
        await this.#pause(run, from, this.#backoff(failures));
        continue;
      }
      await this.#settleOthers(job, outcome);

      const revealed = outcome.revealed.find((entry) => entry.hash === hash);
      if (revealed) {
        this.#metrics.attempt('reveal', 'ok', this.#seconds(started));
        return this.#revealedAndDone(job, {
          attempts: job.attempts + 1,
          revealTxHash: revealed.txHash,
          revealBlock: revealed.block,
        });
      }
      if (outcome.waiting.includes(hash)) {
        await this.#waitForBlock(run, from, head + 1);
        continue;
      }
      if (outcome.expired.includes(hash)) {
        return this.#settle(job, from, 'expired', {
          lastError: `the reveal window (blocks ${first} to ${last}) closed before the reveal reached the chain`,
        });
      }
      const failed = outcome.failed.find((entry) => entry.commit.hash === hash);
      if (failed) {
        this.#metrics.attempt('reveal', attemptOutcome(failed.error), this.#seconds(started));
        const message = `reveal attempt ${job.attempts + 1} failed: ${failed.error.message}`;
        if (isModuleError(failed.error, 'NoWeightsCommitFound')) {
          // A reveal sent just before a crash may have consumed the commit already.
          const onChain = await this.#revealedOnChain(run, job, failed.commit).catch((error: unknown) => {
            if (error instanceof WeightsRunInterrupted) throw error;
            return false;
          });
          if (onChain) {
            return this.#revealedAndDone(job, {
              attempts: job.attempts + 1,
              lastError:
                'the commit had already been revealed (by an earlier run); its reveal hash is unknown',
            });
          }
        }
        if (failed.dropped || isPermanent(failed.error)) {
          return this.#settle(job, from, 'failed', { attempts: job.attempts + 1, lastError: message });
        }
        failures += 1;
        job = await this.#note(job, from, { attempts: job.attempts + 1, lastError: message });
        await this.#pause(run, from, this.#backoff(failures));
        continue;
      }
      // Not among the stored commits: another run revealed (and recorded) it, or it is gone.
      const current = await this.#reload(job.id);
      if (current.state !== 'committed') throw new StateChanged(current);
      return this.#settle(current, from, 'failed', {
        lastError: `the commit ${hash} is no longer stored, so it cannot be revealed`,
      });
    }
  }

  async #revealedAndDone(job: WeightsJobRecord, changes: WeightsJobChanges): Promise<WeightsJobRecord> {
    const revealed = await this.#transition(job, ['committed'], 'revealed', changes);
    if (!revealed) throw new StateChanged(await this.#reload(job.id));
    this.#logger.info({ job: job.id, netuid: job.netuid, block: revealed.revealBlock }, 'weights revealed');
    return this.#settle(revealed, ['revealed'], 'succeeded', {});
  }

  async #revealedOnChain(
    run: Run,
    job: WeightsJobRecord,
    commit: { uids: number[]; weights: number[] },
  ): Promise<boolean> {
    const { self } = await this.#limited(run, () => this.#chain.resolve(job.netuid, run.signer.address, {}));
    if (!self) return false;
    const onChain = await this.#limited(run, () => this.#chain.weightsOf(job.netuid, self.uid));
    return sameWeights(onChain, commit);
  }

  /** One reveal call handles every open commit of the hotkey: record what happened to the other jobs' commits. */
  async #settleOthers(
    job: WeightsJobRecord,
    outcome: Awaited<ReturnType<WeightsChain['reveal']>>,
  ): Promise<void> {
    const others = async (hash: string): Promise<WeightsJobRecord | undefined> => {
      if (hash === job.commitHash) return undefined;
      const other = await this.#store.findByCommitHash(hash);
      return other?.state === 'committed' ? other : undefined;
    };
    for (const entry of outcome.revealed) {
      const other = await others(entry.hash);
      if (!other) continue;
      const revealed = await this.#transition(other, ['committed'], 'revealed', {
        revealTxHash: entry.txHash,
        revealBlock: entry.block,
      });
      if (revealed) await this.#settle(revealed, ['revealed'], 'succeeded', {});
    }
    for (const hash of outcome.expired) {
      const other = await others(hash);
      if (other) {
        await this.#settle(other, ['committed'], 'expired', {
          lastError: 'the reveal window closed before the reveal reached the chain',
        });
      }
    }
    for (const entry of outcome.failed) {
      const other = entry.dropped ? await others(entry.commit.hash) : undefined;
      if (other) {
        await this.#settle(other, ['committed'], 'failed', {
          lastError: `reveal failed: ${entry.error.message}`,
        });
      }
    }
  }

  /** Moves the job to `state` if it is still in one of `from`; records the job's duration when final. */
  async #transition(
    job: WeightsJobRecord,
    from: readonly WeightsJobState[],
    state: WeightsJobState,
    changes: WeightsJobChanges,
  ): Promise<WeightsJobRecord | undefined> {
    const updated = await this.#store.update(job.id, from, { ...changes, state });
    if (!updated) return undefined;
    if (isFinalState(state)) {
      this.#metrics.jobFinished(
        state as WeightsJobOutcome,
        (this.#timers.now() - job.createdAt.getTime()) / 1000,
      );
      const log = state === 'succeeded' ? 'info' : 'warn';
      this.#logger[log](
        {
          job: job.id,
          identity: job.identity,
          netuid: job.netuid,
          epoch: job.epoch,
          reason: updated.lastError,
        },
        `weights job ${state}`,
      );
    }
    return updated;
  }

  /** Like #transition, but resolves with the job as stored when someone else moved it first. */
  async #settle(
    job: WeightsJobRecord,
    from: readonly WeightsJobState[],
    state: WeightsJobState,
    changes: WeightsJobChanges,
  ): Promise<WeightsJobRecord> {
    return (await this.#transition(job, from, state, changes)) ?? (await this.#reload(job.id));
  }

  /** Updates the job without leaving the step's states; StateChanged when it left them meanwhile. */
  async #note(
    job: WeightsJobRecord,
    from: readonly WeightsJobState[],
    changes: WeightsJobChanges,
  ): Promise<WeightsJobRecord> {
    const updated = await this.#store.update(job.id, from, changes);
    if (!updated) throw new StateChanged(await this.#reload(job.id));
    return updated;
  }

  /** Where a run looks up: shutdown stops it, and a job moved out of the step's states (cancelled) ends the step. */
  async #checkpoint(run: Run, from: readonly WeightsJobState[]): Promise<WeightsJobRecord> {
    if (run.signal?.aborted) throw new WeightsRunInterrupted(run.id);
    const current = await this.#reload(run.id);
    if (!from.includes(current.state)) throw new StateChanged(current);
    return current;
  }

  async #reload(id: string): Promise<WeightsJobRecord> {
    const current = await this.#store.get(id);
    if (!current) throw new Error(`weights job ${id} is no longer stored`);
    return current;
  }

  /** Waits `ms` in slices, looking at the record between them. */
  async #pause(run: Run, from: readonly WeightsJobState[], ms: number): Promise<void> {
    let left = ms;
    while (left > 0) {
      const slice = Math.min(left, this.#pollIntervalMs);
      await this.#timers.sleep(slice, run.signal);
      left -= slice;
      await this.#checkpoint(run, from);
    }
  }

  /** Waits until the chain head is at least `block`. */
  async #waitForBlock(run: Run, from: readonly WeightsJobState[], block: number): Promise<void> {
    for (;;) {
      await this.#checkpoint(run, from);
      try {
        if ((await this.#limited(run, () => this.#chain.head())) >= block) return;
      } catch (error) {
        if (error instanceof WeightsRunInterrupted) throw error;
        // Logged quietly: a chain outage would repeat this every poll; the attempts record their own errors.
        this.#logger.debug({ job: run.id, err: errorMessage(error) }, 'reading the chain head failed');
      }
      await this.#timers.sleep(this.#pollIntervalMs, run.signal);
    }
  }

  /**
   * Runs one chain operation within the attempt timeout; shutdown stops waiting for it too (an extrinsic that
   * lands anyway is recognised by the next run).
   */
  async #limited<T>(run: Run, operation: () => Promise<T>): Promise<T> {
    const done = new AbortController();
    const running = operation();
    // The operation may still settle after the timeout won; its result no longer matters.
    running.catch(() => undefined);
    const signal = run.signal ? AbortSignal.any([done.signal, run.signal]) : done.signal;
    const timeout = this.#timers.sleep(this.#attemptTimeoutMs, signal).then(() => {
      if (run.signal?.aborted) throw new WeightsRunInterrupted(run.id);
      if (!done.signal.aborted) throw new AttemptTimeout(this.#attemptTimeoutMs);
      // The operation settled first: the race is already decided by it.
      return running;
    });
    try {
      return await Promise.race([running, timeout]);
    } finally {
      done.abort();
    }
  }

  #backoff(failures: number): number {
    return Math.min(this.#maxRetryDelayMs, this.#retryDelayMs * 2 ** Math.max(0, failures - 1));
  }

  #seconds(since: number): number {
    return (this.#timers.now() - since) / 1000;
  }
}
