import { CreatedAtColumn, UpdatedAtColumn } from '@vstack/database';
import type { WeightsJobState } from '@vstack/sidecar-client';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** How a job's weights went on chain: set_weights, or commit then reveal. */
export type WeightsJobMode = 'direct' | 'commit-reveal';

/** Who asked for the weights: the REST API, or the scoring service through the weights queue. */
export type WeightsJobSource = 'api' | 'queue';

/** States a job does not leave. */
export const finalWeightsJobStates: readonly WeightsJobState[] = [
  'succeeded',
  'expired',
  'cancelled',
  'failed',
];

/** States of a job that still has work to do (on this or another sidecar). */
export const unfinishedWeightsJobStates: readonly WeightsJobState[] = [
  'scheduled',
  'submitting',
  'committed',
  'revealed',
];

/** True when a job is in a state it never leaves. */
export function isFinalState(state: WeightsJobState): boolean {
  return finalWeightsJobStates.includes(state);
}

/**
 * One weights job: a weight vector for one identity, subnet and epoch, and what happened to it on chain. The id
 * is also the job's BullMQ job id.
 */
@Entity({ name: 'sidecar_weights_jobs' })
export class WeightsJobRecord {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  /** The identity's name; empty when a queued job named no identity the sidecar knows. */
  @Column({ type: 'text' })
  identity!: string;

  @Column({ type: 'integer' })
  netuid!: number;

  /** The subnet's epoch index (subtensor's get_epoch_index) the weights are for; the job expires after it. */
  @Column({ type: 'integer' })
  epoch!: number;

  @Column({ type: 'text' })
  state!: WeightsJobState;

  @Column({ type: 'text' })
  source!: WeightsJobSource;

  @Column({ type: 'text', nullable: true })
  mode!: WeightsJobMode | null;

  /** Weight per hotkey, as asked for (the API's unknown hotkeys already dropped). */
  @Column({ type: 'jsonb' })
  weights!: Record<string, number>;

  /** Uids with a weight above zero. */
  @Column({ type: 'integer' })
  count!: number;

  /** Extrinsics submitted for the job: set_weights or commit_weights, and reveal_weights. */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /** set_weights or commit_weights: the extrinsic and the block it landed in. */
  @Column({ name: 'tx_hash', type: 'text', nullable: true })
  txHash!: string | null;

  @Column({ type: 'integer', nullable: true })
  block!: number | null;

  /** The hash commit_weights put on chain, which names the pending commit in sidecar_weights_commits. */
  @Column({ name: 'commit_hash', type: 'text', nullable: true })
  commitHash!: string | null;

  /** The blocks in which the commit may be revealed. */
  @Column({ name: 'reveal_from_block', type: 'integer', nullable: true })
  revealFromBlock!: number | null;

  @Column({ name: 'reveal_until_block', type: 'integer', nullable: true })
  revealUntilBlock!: number | null;

  @Column({ name: 'reveal_tx_hash', type: 'text', nullable: true })
  revealTxHash!: string | null;

  @Column({ name: 'reveal_block', type: 'integer', nullable: true })
  revealBlock!: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  /** The chain head when the latest set_weights or commit_weights went out (to recognise it after a crash). */
  @Column({ name: 'last_attempt_block', type: 'integer', nullable: true })
  lastAttemptBlock!: number | null;

  @CreatedAtColumn({ name: 'created_at' })
  createdAt!: Date;

  @UpdatedAtColumn({ name: 'updated_at' })
  updatedAt!: Date;
}

/** A weights commit waiting for its reveal (the chain lib's PendingCommit), kept across restarts. */
@Entity({ name: 'sidecar_weights_commits' })
export class WeightsCommitRecord {
  @PrimaryColumn({ type: 'text' })
  hotkey!: string;

  @PrimaryColumn({ type: 'integer' })
  netuid!: number;

  @PrimaryColumn({ type: 'text' })
  hash!: string;

  @Column({ name: 'commit_block', type: 'integer' })
  commitBlock!: number;

  /** Everything reveal_weights needs: uids, weights, salt, version key, reveal window. */
  @Column({ type: 'jsonb' })
  commit!: unknown;

  @CreatedAtColumn({ name: 'created_at' })
  createdAt!: Date;
}
