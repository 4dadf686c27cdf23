import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@vstack/observability';
import { JobName, type JobSender } from '@vstack/queues';
import { SERVICE_LOGGER } from '@vstack/runtime';
import {
  computeWeights,
  DEFAULT_PRIOR,
  scoresForWeights,
  syncNeurons,
  type WeightsRefusal,
  type WeightsResult,
} from '@vstack/scoring';
import { U16_MAX } from '@vstack/weights';
import { ScoringMetrics } from '../metrics';
import { movingScoresOf } from '../moving-scores';
import {
  CHAIN_VIEW,
  type ChainView,
  JOB_SENDER,
  SCORE_STORE,
  SCORING_SETTINGS,
  type SubnetNeuron,
} from '../ports';
import type { ScoringSettings } from '../settings';
import type { ScoreStore } from '../store/score-store';

/** A subnet entered a new epoch. */
export interface EpochEvent {
  readonly netuid: number;
  readonly epoch: number;
  readonly block: number;
}

/** What an epoch event came to. */
export type EpochOutcome =
  /** The event is about another subnet. */
  | { readonly outcome: 'ignored' }
  /** No vector: no neuron, or nothing scored yet (the weights on chain stay). */
  | { readonly outcome: 'skipped'; readonly reason: WeightsRefusal }
  /** The vector went to the weights queue (or was there already, for a repeated event). */
  | {
      readonly outcome: 'enqueued';
      readonly jobId: string;
      readonly weights: Readonly<Record<string, number>>;
    };

/** The id of the weights job of an epoch: one job per subnet and epoch, so a repeated event adds nothing. */
export function weightsJobId(netuid: number, epoch: number): string {
  return `weights-${netuid}-${epoch}`;
}

/**
 * The weight vector from the moving scores, over the subnet's metagraph: hotkeys that left a uid lose their
 * scores, task types are mixed by their configured shares, and the subnet's MaxWeightsLimit and
 * MinAllowedWeights apply. Sent to the sidecar once per epoch as u16 values.
 */
@Injectable()
export class WeightsService {
  constructor(
    @Inject(SCORE_STORE) private readonly store: ScoreStore,
    @Inject(CHAIN_VIEW) private readonly chain: ChainView,
    @Inject(JOB_SENDER) private readonly jobs: JobSender,
    @Inject(SCORING_SETTINGS) private readonly settings: ScoringSettings,
    private readonly metrics: ScoringMetrics,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  /** Computes the vector of the subnet's new epoch and enqueues it for the sidecar. */
  async onEpoch(event: EpochEvent): Promise<EpochOutcome> {
    if (event.netuid !== this.settings.netuid) return { outcome: 'ignored' };
    const { neurons, result } = await this.vector(event.netuid);
    if (!result.ok) {
      this.logger.warn({ ...event, reason: result.reason }, 'no weights for this epoch');
      return { outcome: 'skipped', reason: result.reason };
    }
    const hotkeyOf = new Map(neurons.map((neuron) => [neuron.uid, neuron.hotkey]));
    const weights: Record<string, number> = {};
    result.u16.uids.forEach((uid, index) => {
      const hotkey = hotkeyOf.get(uid);
      if (hotkey !== undefined) weights[hotkey] = result.u16.weights[index] ?? 0;
    });
    const jobId = weightsJobId(event.netuid, event.epoch);
    await this.jobs.add(
      JobName.SetWeights,
      {
        netuid: event.netuid,
        epoch: event.epoch,
        weights,
        ...(this.settings.identity === undefined ? {} : { identity: this.settings.identity }),
      },
      { jobId },
    );
    this.metrics.weightsJobs.inc({ netuid: String(event.netuid) });
    this.logger.info(
      { ...event, jobId, miners: Object.keys(weights).length, capSatisfied: result.capSatisfied },
      'weights sent to the sidecar',
    );
    return { outcome: 'enqueued', jobId, weights };
  }

  /** The vector as it would be set now, by hotkey, normalised to sum to 1; empty when there is none. */
  async current(netuid: number): Promise<Record<string, number>> {
    if (netuid !== this.settings.netuid) return {};
    const { neurons, result } = await this.vector(netuid);
    if (!result.ok) return {};
    return Object.fromEntries(
      neurons
        .map((neuron): [string, number] => [neuron.hotkey, result.weights[neuron.uid] ?? 0])
        .filter(([, weight]) => weight > 0),
    );
  }

  private async vector(netuid: number): Promise<{ neurons: SubnetNeuron[]; result: WeightsResult }> {
    const [neurons, rules] = await Promise.all([this.chain.neurons(netuid), this.chain.weightRules(netuid)]);
    const stored = movingScoresOf(await this.store.taskScores());
    const { state, reset } = syncNeurons(stored, neurons);
    if (reset.length > 0) {
      await this.store.forgetHotkeys(
        reset.flatMap((uid) => {
          const hotkey = stored.miners[uid]?.hotkey;
          return hotkey === undefined ? [] : [{ uid, hotkey }];
        }),
      );
      this.logger.info({ netuid, uids: reset }, 'dropped the scores of hotkeys no longer on their uids');
    }
    const rows = scoresForWeights(state, neurons, this.settings.weightedTaskTypes, { prior: DEFAULT_PRIOR });
    const result = computeWeights(rows, {
      taskTypeWeights: this.settings.taskTypeWeights,
      maxWeight: Math.max(1, rules.maxWeightsLimit) / U16_MAX,
      minAllowedWeights: rules.minAllowedWeights,
    });
    return { neurons, result };
  }
}
