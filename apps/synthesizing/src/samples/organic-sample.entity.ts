import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An organic request sampled for replay: the task type's request only, no caller identity, no task id. */
@Entity({ name: 'organic_sample' })
export class OrganicSampleEntity {
  /** The id the validator gave the sample; every replica of synthesizing stores it once. */
  @PrimaryColumn({ type: 'uuid' })
  sampleId!: string;

  @Column({ type: 'text' })
  taskType!: string;

  /** The request as validated against its task type's schema. */
  @Column({ type: 'jsonb' })
  request!: unknown;

  @Column({ type: 'timestamptz' })
  sampledAt!: Date;
}
