import { Column, Entity, PrimaryColumn } from 'typeorm';
import { BigIntColumn, CreatedAtColumn, NumericColumn, UpdatedAtColumn } from '../columns';

/** A miner account as the integration tests store it; created by the fixture migrations. */
@Entity({ name: 'fixture_account' })
export class FixtureAccount {
  @PrimaryColumn({ type: 'text' })
  hotkey!: string;

  @BigIntColumn()
  stake!: bigint;

  @BigIntColumn({ nullable: true })
  balance!: bigint | null;

  @NumericColumn(12, 9)
  score!: number;

  @Column({ type: 'text', nullable: true })
  label!: string | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
