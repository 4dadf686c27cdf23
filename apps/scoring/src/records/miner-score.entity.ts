import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The moving score of the hotkey that holds a uid, for one task type, with its counts. */
@Entity({ name: 'miner_score' })
export class MinerScoreEntity {
  @PrimaryColumn({ type: 'integer' })
  uid!: number;

  @PrimaryColumn({ type: 'text' })
  taskType!: string;

  @Column({ type: 'text' })
  hotkey!: string;

  /** The exponential moving average of the combined scores, in [0, 1]. */
  @Column({ type: 'double precision' })
  score!: number;

  /** Scored responses that went into the moving score. */
  @Column({ type: 'integer' })
  samples!: number;

  /** Responses recorded unscored (dropout, organic not sampled). */
  @Column({ type: 'integer' })
  unscored!: number;

  /** When the last score was added. */
  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
