import type { Scrape } from './figures';
import { parseMetricsText } from './metrics-text';
import type { ServiceTarget } from './services';

/** The readiness answer of a service, as far as it could be read. */
export type Readiness =
  | { state: 'ready'; checks: Record<string, CheckView> }
  | { state: 'not_ready'; checks: Record<string, CheckView> }
  | { state: 'down'; reason: string };

/** One dependency check of /health/ready. */
export interface CheckView {
  ok: boolean;
  detail?: string;
  durationMs?: number;
}

/** One reading of a service: its metrics (or why there are none) and its readiness. */
export interface Reading {
  metrics: { ok: true; scrape: Scrape } | { ok: false; reason: string };
  readiness: Readiness;
}

/** Reads a service's /metrics and /health/ready; `fetchImpl` is the HTTP client (global fetch by default). */
export class ServiceClient {
  constructor(
    private readonly timeoutMs: number,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly clock: () => number = Date.now,
  ) {}

  async read(target: ServiceTarget): Promise<Reading> {
    const [metrics, readiness] = await Promise.all([this.metrics(target), this.readiness(target)]);
    return { metrics, readiness };
  }

  private async metrics(target: ServiceTarget): Promise<Reading['metrics']> {
    const headers: Record<string, string> = target.metricsToken
      ? { authorization: `Bearer ${target.metricsToken}` }
      : {};
    try {
      const response = await this.fetchImpl(`${target.url}/metrics`, {
        headers,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const body = await response.text();
      if (response.status === 401 || response.status === 403) {
        const hint = target.metricsToken ? 'METRICS_TOKEN is not the one it expects' : 'set METRICS_TOKEN';
        return { ok: false, reason: `/metrics answered ${response.status}: ${hint}` };
      }
      if (!response.ok) return { ok: false, reason: `/metrics answered ${response.status}` };
      return { ok: true, scrape: { at: this.clock(), families: parseMetricsText(body) } };
    } catch (error) {
      return { ok: false, reason: describeFailure(error) };
    }
  }

  private async readiness(target: ServiceTarget): Promise<Readiness> {
    try {
      const response = await this.fetchImpl(`${target.url}/health/ready`, {
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await response.text();
      const checks = checksOf(text);
      if (response.ok) return { state: 'ready', checks };
      if (response.status === 503) return { state: 'not_ready', checks };
      return { state: 'down', reason: `/health/ready answered ${response.status}` };
    } catch (error) {
      return { state: 'down', reason: describeFailure(error) };
    }
  }
}

function checksOf(text: string): Record<string, CheckView> {
  try {
    const body = JSON.parse(text) as { checks?: unknown };
    if (typeof body.checks !== 'object' || body.checks === null) return {};
    return body.checks as Record<string, CheckView>;
  } catch {
    return {};
  }
}

/** A short reason for a failed request: connection refused, timed out, or the error's message. */
export function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'no answer in time';
    const cause = error.cause as { code?: unknown } | undefined;
    if (cause && cause.code === 'ECONNREFUSED') return 'connection refused';
    if (cause && typeof cause.code === 'string') return cause.code;
    return error.message;
  }
  return String(error);
}
