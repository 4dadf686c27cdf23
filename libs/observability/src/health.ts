/** The outcome of one readiness check. */
export interface CheckResult {
  ok: boolean;
  detail?: string;
}

/** A dependency a service needs before it can serve: Redis, Postgres, the chain. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<CheckResult>;
}

/** The body of /health/ready. */
export interface ReadinessReport {
  status: 'ok' | 'unavailable';
  checks: Record<string, CheckResult & { durationMs: number }>;
}

async function runOne(
  check: ReadinessCheck,
  timeoutMs: number,
): Promise<CheckResult & { durationMs: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolvePromise) => {
    timer = setTimeout(() => {
      resolvePromise({ ok: false, detail: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
  });
  try {
    const result = await Promise.race([check.check(), timeout]);
    return { ...result, durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, detail, durationMs: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every readiness check concurrently, each bounded by the timeout. */
export async function runReadiness(
  checks: readonly ReadinessCheck[],
  timeoutMs = 2000,
): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (check) => [check.name, await runOne(check, timeoutMs)] as const),
  );
  return {
    status: results.every(([, result]) => result.ok) ? 'ok' : 'unavailable',
    checks: Object.fromEntries(results),
  };
}
