import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One miner response as scoring recorded it: scored (with its parts) or unscored (and why). */
@Entity({ name: 'score_record' })
export class ScoreRecordEntity {
  /** The validator's id of the response: a job delivered twice finds its record and does nothing. */
  @PrimaryColumn({ type: 'text' })
  responseId!: string;

  @Column({ type: 'text' })
  taskId!: string;

  @Column({ type: 'text' })
  taskType!: string;

  /** `synthetic` or `organic`. */
  @Column({ type: 'text' })
  purpose!: string;

  @Column({ type: 'integer' })
  minerUid!: number;

  @Column({ type: 'text' })
  minerHotkey!: string;

  /** `scored` or `unscored`. */
  @Column({ type: 'text' })
  outcome!: string;

  /** `dropout` or `not_sampled` when unscored. */
  @Column({ type: 'text', nullable: true })
  unscoredReason!: string | null;

  /** `answered`, `no_response`, `invalid` or `timeout` when scored. */
  @Column({ type: 'text', nullable: true })
  status!: string | null;

  @Column({ type: 'double precision', nullable: true })
  accuracy!: number | null;

  @Column({ type: 'double precision', nullable: true })
  speed!: number | null;

  /** The combined score, when scored. */
  @Column({ type: 'double precision', nullable: true })
  score!: number | null;

  @Column({ type: 'double precision' })
  latencyMs!: number;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ type: 'timestamptz' })
  recordedAt!: Date;
}
