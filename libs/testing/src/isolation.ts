import { randomBytes } from 'node:crypto';

/** A name unique to this test file run, for a Redis key prefix or a Postgres schema. */
export function uniqueTestName(label: string): string {
  const safe = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30);
  return `t_${safe}_${randomBytes(4).toString('hex')}`;
}
