import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { ChainErrorCode, epochIndex, errorMessage, isChainError } from '@vstack/chain';
import type { SidecarConfig } from '@vstack/config';
import type { Logger } from '@vstack/observability';
import type { SetWeightsPayload } from '@vstack/queues';
import { SERVICE_LOGGER } from '@vstack/runtime';
import {
  type PutWeightsResponse,
  TIMEOUT_HEADER,
  type WeightsHistoryResponse,
  type WeightsJob,
} from '@vstack/sidecar-client';
import type { Identity } from '../auth/identities.service';
import { IdentitiesService } from '../auth/identities.service';
import { ChainService } from '../chain/chain.service';
import { SidecarError, SidecarErrorCode } from '../errors';
import { SIDECAR_CONFIG } from '../tokens';
import {
  checkSomethingToSet,
  checkSubnetSize,
  parseHistoryLimit,
  parseNetuid,
  parseWeightsBody,
  splitKnownHotkeys,
} from './weights-input';
import { isFinalState, type WeightsJobRecord } from './weights-job.entity';
import type { WeightsJobRunner } from './weights-job.runner';
import type { WeightsJobStore } from './weights-job.store';
import type { WeightsMetricsSink } from './weights.metrics';
import type { WeightsQueue } from './weights.queue';
import { WEIGHTS_JOB_STORE, WEIGHTS_METRICS, WEIGHTS_QUEUE, WEIGHTS_RUNNER } from './weights.tokens';

/** A stored job as the REST API shows it. */
export function toApiJob(job: WeightsJobRecord): WeightsJob {
  return {
    id: job.id,
    identity: job.identity,
    netuid: job.netuid,
    epoch: job.epoch,
    state: job.state,
    mode: job.mode,
    attempts: job.attempts,
    count: job.count,
    tx_hash: job.txHash,
    block: job.block,
    reveal_tx_hash: job.revealTxHash,
    reveal_block: job.revealBlock,
    last_error: job.lastError,
    created_at: job.createdAt.toISOString(),
    updated_at: job.updatedAt.toISOString(),
  };
}

class ReadTimeout extends Error {}

/**
 * Weights jobs: scheduled from the REST API or taken from the weights queue (scoring), stored in Postgres, run
 * by the WeightsJobRunner through the queue, and resumed after a restart.
 */
@Injectable()
export class WeightsService {
  readonly #stopping = new AbortController();

  constructor(
    private readonly chain: ChainService,
    private readonly identities: IdentitiesService,
    @Inject(WEIGHTS_JOB_STORE) private readonly store: WeightsJobStore,
    @Inject(WEIGHTS_QUEUE) private readonly queue: WeightsQueue,
    @Inject(WEIGHTS_RUNNER) private readonly runner: WeightsJobRunner,
    @Inject(WEIGHTS_METRICS) private readonly metrics: WeightsMetricsSink,
    @Inject(SIDECAR_CONFIG) private readonly config: SidecarConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * PUT weights: checks them against the subnet, drops unknown hotkeys, stores a job for the current epoch,
   * cancels the identity's older jobs on the subnet that have not reached the chain, and queues the new one.
   */
  async schedule(
    identity: Identity,
    netuidParam: string,
    body: unknown,
    timeoutMs: number = this.config.SIDECAR_REQUEST_TIMEOUT_MS,
  ): Promise<PutWeightsResponse> {
    const netuid = parseNetuid(netuidParam);
    const weights = parseWeightsBody(body);
    const client = this.chain.client;
    // Only the chain reads count against the timeout: once they are done the job is stored and queued, so a
    // request that timed out has changed nothing.
    const deadline = Date.now() + timeoutMs;
    // Also tells whether the subnet exists (404 otherwise), for the identity's own netuid or any other.
    const hyperparameters = await this.#read(deadline, timeoutMs, () => client.hyperparameters(netuid));
    checkSubnetSize(Object.keys(weights).length, netuid, hyperparameters.subnetworkN);
    const metagraph = await this.#read(deadline, timeoutMs, () =>
      client.metagraph(netuid, hyperparameters.blockHash),
    );
    const uids = new Map(metagraph.neurons.map((neuron) => [neuron.hotkey, neuron.uid]));
    const { known, byUid, unknown } = splitKnownHotkeys(weights, (hotkey) => uids.get(hotkey));
    checkSomethingToSet(known, unknown.length, netuid);
    // The subnet's own rules (MinAllowedWeights, MaxWeightsLimit) refuse now rather than fail the job later.
    const prepared = await this.#read(deadline, timeoutMs, () =>
      client.prepareWeights(netuid, byUid, hyperparameters),
    );
    const epoch = epochIndex(netuid, hyperparameters.tempo, hyperparameters.block);

    const { job } = await this.store.create({
      id: `${identity.name}-${netuid}-${epoch}-${randomUUID().slice(0, 8)}`,
      identity: identity.name,
      netuid,
      epoch,
      source: 'api',
      weights: known,
      count: prepared.uids.length,
    });
    await this.#supersede(job);
    try {
      await this.queue.enqueue(job);
    } catch (error) {
      await this.store.update(job.id, ['scheduled'], {
        state: 'failed',
        lastError: `could not be queued: ${errorMessage(error)}`,
      });
      throw error;
    }
    this.logger.info(
      {
        job: job.id,
        identity: identity.name,
        netuid,
        epoch,
        count: prepared.uids.length,
        unknown: unknown.length,
      },
      'weights update scheduled',
    );
    return {
      detail: 'weights update scheduled',
      count: prepared.uids.length,
      job_id: job.id,
      epoch,
      unknown_hotkeys: unknown,
    };
  }

  /** GET weights/history: the identity's jobs on the subnet, newest first. */
  async history(
    identity: Identity,
    netuidParam: string,
    limitParam: string | undefined,
  ): Promise<WeightsHistoryResponse> {
    const netuid = parseNetuid(netuidParam);
    const limit = parseHistoryLimit(limitParam);
    const jobs = await this.store.history(identity.name, netuid, limit);
    return { jobs: jobs.map(toApiJob) };
  }

  /**
   * Runs the weights job of a queue message: a job the API stored, or a new one from scoring (stored here first,
   * for the payload's identity or else the first identity acting on the netuid).
   */
  async process(payload: SetWeightsPayload, jobId: string): Promise<void> {
    const job = (await this.store.get(jobId)) ?? (await this.#acceptQueued(payload, jobId));
    if (isFinalState(job.state)) return;
    await this.runner.run(job.id, this.#stopping.signal);
  }

  /** Queues every unfinished job again that no BullMQ job will run (the sidecar stopped mid-job). */
  async resume(): Promise<void> {
    const jobs = await this.store.unfinished();
    for (const job of jobs) {
      const queued = await this.queue.ensureQueued(job);
      if (queued !== 'present') {
        this.logger.info({ job: job.id, state: job.state, queued }, 'resuming an unfinished weights job');
      }
    }
  }

  /** Stops running jobs at their next check point (shutdown); they resume on the next start. */
  stop(): void {
    this.#stopping.abort();
  }

  async #acceptQueued(payload: SetWeightsPayload, jobId: string): Promise<WeightsJobRecord> {
    const identity =
      payload.identity === undefined
        ? this.identities.list().find((candidate) => candidate.netuid === payload.netuid)
        : this.identities.get(payload.identity);
    let problem: string | undefined;
    if (!identity) {
      problem =
        payload.identity === undefined
          ? `no identity acts on subnet ${payload.netuid}, and the job names none`
          : `no identity named "${payload.identity}" is configured`;
    }
    const { job, created } = await this.store.create({
      id: jobId,
      identity: identity?.name ?? payload.identity ?? '',
      netuid: payload.netuid,
      epoch: payload.epoch,
      source: 'queue',
      weights: payload.weights,
      count: Object.values(payload.weights).filter((weight) => weight > 0).length,
      ...(problem === undefined ? {} : { state: 'failed' as const, lastError: problem }),
    });
    if (!created) return job;
    if (problem !== undefined) {
      this.metrics.jobFinished('failed', 0);
      this.logger.warn({ job: jobId, netuid: payload.netuid }, `weights job refused: ${problem}`);
    } else {
      await this.#supersede(job);
    }
    return job;
  }

  async #supersede(job: WeightsJobRecord): Promise<void> {
    const cancelled = await this.store.supersede(job, `cancelled: superseded by job ${job.id}`);
    for (const old of cancelled) {
      this.metrics.jobFinished('cancelled', (Date.now() - old.createdAt.getTime()) / 1000);
      this.logger.info({ job: old.id, by: job.id }, 'weights job cancelled by a newer one');
    }
  }

  /** A chain read for a request, before its deadline; chain failures become the API's errors. */
  async #read<T>(deadline: number, timeoutMs: number, read: () => Promise<T>): Promise<T> {
    const done = new AbortController();
    const running = read();
    running.catch(() => undefined);
    try {
      return await Promise.race([
        running,
        sleep(Math.max(0, deadline - Date.now()), undefined, { signal: done.signal }).then(() => {
          throw new ReadTimeout();
        }),
      ]);
    } catch (error) {
      if (error instanceof ReadTimeout) {
        throw new SidecarError(
          SidecarErrorCode.Timeout,
          `the chain did not answer within ${timeoutMs} ms (${TIMEOUT_HEADER})`,
        );
      }
      if (isChainError(error, ChainErrorCode.SubnetNotFound)) {
        throw new SidecarError(SidecarErrorCode.SubnetNotFound, error.message, { cause: error });
      }
      if (isChainError(error, ChainErrorCode.InvalidWeights)) {
        throw new SidecarError(SidecarErrorCode.InvalidWeights, error.message, { cause: error });
      }
      if (isChainError(error)) {
        throw new SidecarError(
          SidecarErrorCode.ChainUnavailable,
          `the chain cannot be read: ${error.message}`,
          {
            cause: error,
          },
        );
      }
      throw error;
    } finally {
      done.abort();
    }
  }
}
