import {
  Column,
  type ColumnOptions,
  CreateDateColumn,
  UpdateDateColumn,
  type ValueTransformer,
} from 'typeorm';

/** Options of the column helpers: everything TypeORM takes except what the helper fixes. */
export type ColumnHelperOptions = Omit<ColumnOptions, 'type' | 'transformer'>;

/**
 * int8 / numeric(n, 0) ↔ JS bigint. pg returns int8 as a string, so stake and balances in rao (above 2^53)
 * keep every digit. Values that are not bigint (null, find operators) pass through untouched.
 */
export const bigintTransformer: ValueTransformer = {
  to(value: unknown): unknown {
    return typeof value === 'bigint' ? value.toString() : value;
  },
  from(value: unknown): unknown {
    if (value === null || value === undefined) return value;
    if (typeof value === 'bigint') return value;
    if (typeof value === 'string' || typeof value === 'number') return BigInt(value);
    throw new TypeError(`cannot read ${typeof value} as bigint`);
  },
};

/**
 * numeric ↔ JS number, for decimals that fit a double (scores, weights, prices). pg returns numeric as a string;
 * use bigintTransformer or keep the string where every digit matters.
 */
export const numericTransformer: ValueTransformer = {
  to(value: unknown): unknown {
    if (typeof value !== 'number') return value;
    if (!Number.isFinite(value)) throw new RangeError(`cannot store ${value} in a numeric column`);
    return value.toString();
  },
  from(value: unknown): unknown {
    if (value === null || value === undefined) return value;
    if (typeof value === 'number') return value;
    if (typeof value === 'string') return Number(value);
    throw new TypeError(`cannot read ${typeof value} as a number`);
  },
};

/** A `bigint` (int8) column read and written as a JS bigint. */
export function BigIntColumn(options: ColumnHelperOptions = {}): PropertyDecorator {
  return Column({ ...options, type: 'bigint', transformer: bigintTransformer });
}

/** A `numeric(precision, scale)` column read and written as a JS number. */
export function NumericColumn(
  precision: number,
  scale: number,
  options: Omit<ColumnHelperOptions, 'precision' | 'scale'> = {},
): PropertyDecorator {
  return Column({ ...options, type: 'numeric', precision, scale, transformer: numericTransformer });
}

/** `createdAt timestamptz NOT NULL DEFAULT now()`, set by PostgreSQL on insert. */
export function CreatedAtColumn(options: ColumnHelperOptions = {}): PropertyDecorator {
  return CreateDateColumn({ ...options, type: 'timestamptz' });
}

/** `updatedAt timestamptz NOT NULL DEFAULT now()`, moved forward by TypeORM on every save. */
export function UpdatedAtColumn(options: ColumnHelperOptions = {}): PropertyDecorator {
  return UpdateDateColumn({ ...options, type: 'timestamptz' });
}
