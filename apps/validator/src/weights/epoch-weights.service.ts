import { Inject, Injectable } from '@nestjs/common';
import type { EventPayload } from '@vstack/contracts';
import type { Logger } from '@vstack/observability';
import { JobName, type JobSender } from '@vstack/queues';
import { SERVICE_LOGGER } from '@vstack/runtime';
import { errorMessage, ValidatorError, ValidatorErrorCode } from '../errors';
import { ValidatorMetrics } from '../metrics';
import {
  JOB_SENDER,
  TIMERS,
  type Timers,
  VALIDATOR_SETTINGS,
  WEIGHTS_SOURCE,
  type WeightsSource,
} from '../ports';
import type { ValidatorSettings } from '../settings';
import { TaskRelease } from '../tasks/task-release';

/**
 * The id of an epoch's weights job. Scoring enqueues the same id when it computes the vector itself, so the
 * weights of one subnet and epoch are one job whoever adds it first.
 */
export function weightsJobId(netuid: number, epoch: number): string {
  return `weights-${netuid}-${epoch}`;
}

/** Tries to get the vector from scoring and enqueue it, with these pauses between tries (ms). */
export const WEIGHTS_RETRY_DELAYS_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000];

/** What an epoch event came to. */
export type EpochWeightsOutcome =
  | { readonly outcome: 'ignored' }
  | { readonly outcome: 'empty' }
  | { readonly outcome: 'failed'; readonly error: string }
  | { readonly outcome: 'enqueued'; readonly jobId: string; readonly miners: number };

/**
 * Makes sure a weights job reaches the sidecar at every epoch of the subnet: asks scoring for the weight vector
 * and enqueues it under the epoch's job id. A silent scoring or an unreachable Redis is tried again a few times;
 * an empty vector (nothing scored yet) sends nothing, so the weights on chain stay.
 */
@Injectable()
export class EpochWeightsService {
  constructor(
    @Inject(VALIDATOR_SETTINGS) private readonly settings: ValidatorSettings,
    @Inject(WEIGHTS_SOURCE) private readonly source: WeightsSource,
    @Inject(JOB_SENDER) private readonly jobs: JobSender,
    @Inject(TIMERS) private readonly timers: Timers,
    private readonly metrics: ValidatorMetrics,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly stopping: TaskRelease,
  ) {}

  async onEpoch(event: EventPayload<'chain.epoch.new'>): Promise<EpochWeightsOutcome> {
    if (event.netuid !== this.settings.netuid) return { outcome: 'ignored' };
    const netuid = String(event.netuid);
    let lastError: unknown;
    for (let attempt = 0; attempt <= WEIGHTS_RETRY_DELAYS_MS.length; attempt += 1) {
      if (attempt > 0) {
        const delay = WEIGHTS_RETRY_DELAYS_MS[attempt - 1] ?? 0;
        this.logger.warn(
          { ...event, attempt, retryInMs: delay, err: lastError },
          'could not send the weights of this epoch yet; trying again',
        );
        await this.timers.sleep(delay, this.stopping.signal);
        if (this.stopping.released) break;
      }
      try {
        const weights = await this.source.weights(event.netuid);
        const miners = Object.values(weights).filter((weight) => weight > 0).length;
        if (miners === 0) {
          this.metrics.weightsJobs.inc({ netuid, outcome: 'empty' });
          this.logger.info(event, 'scoring has no weights yet; the weights on chain stay');
          return { outcome: 'empty' };
        }
        const jobId = weightsJobId(event.netuid, event.epoch);
        await this.jobs.add(
          JobName.SetWeights,
          {
            netuid: event.netuid,
            epoch: event.epoch,
            weights,
            ...(this.settings.weightsIdentity === undefined
              ? {}
              : { identity: this.settings.weightsIdentity }),
          },
          { jobId },
        );
        this.metrics.weightsJobs.inc({ netuid, outcome: 'enqueued' });
        this.logger.info({ ...event, jobId, miners }, 'weights job enqueued for the sidecar');
        return { outcome: 'enqueued', jobId, miners };
      } catch (error) {
        lastError = error;
      }
    }
    const failure = new ValidatorError(
      ValidatorErrorCode.WeightsUnavailable,
      `no weights job for netuid ${event.netuid} epoch ${event.epoch}: ${errorMessage(lastError)}`,
      { cause: lastError },
    );
    this.metrics.weightsJobs.inc({ netuid, outcome: 'failed' });
    this.logger.error({ ...event, err: failure }, failure.message);
    return { outcome: 'failed', error: failure.message };
  }
}
