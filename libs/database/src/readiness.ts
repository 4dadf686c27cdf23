import type { DataSource } from 'typeorm';
import { dataSourceUrl } from './data-source';
import { errorMessage, withoutPassword } from './errors';

/** The outcome of a readiness check, in the shape /health/ready reports. */
export interface DatabaseCheck {
  ok: boolean;
  detail?: string;
}

/** Readiness of the database: `SELECT 1` answered within the timeout (default 2 s). */
export async function checkDatabase(dataSource: DataSource, timeoutMs = 2_000): Promise<DatabaseCheck> {
  if (!dataSource.isInitialized) return { ok: false, detail: 'not connected' };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DatabaseCheck>((resolve) => {
    timer = setTimeout(() => {
      resolve({ ok: false, detail: `no answer to SELECT 1 within ${timeoutMs} ms` });
    }, timeoutMs);
  });
  const probe = dataSource.query('SELECT 1').then(
    (): DatabaseCheck => ({ ok: true }),
    (error: unknown): DatabaseCheck => ({
      ok: false,
      detail: withoutPassword(errorMessage(error), dataSourceUrl(dataSource)),
    }),
  );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The database check named `postgres`, in the shape a service's readiness endpoint runs. */
export function databaseReadinessCheck(
  dataSource: DataSource,
  timeoutMs?: number,
): { name: string; check: () => Promise<DatabaseCheck> } {
  return { name: 'postgres', check: () => checkDatabase(dataSource, timeoutMs) };
}
