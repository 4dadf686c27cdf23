import { waitFor } from '@vstack/local-infra';

export interface ReadinessOptions {
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown } | undefined;
  if (typeof cause?.code === 'string')
    return cause.code === 'ECONNREFUSED' ? 'connection refused' : cause.code;
  return error.message;
}

/** Polls GET `url` until it answers 200; the timeout error says what the last attempt got. */
export async function waitUntilReady(url: string, options: ReadinessOptions): Promise<void> {
  const fetchUrl = options.fetch ?? fetch;
  let last = 'no answer yet';
  try {
    await waitFor(
      async () => {
        try {
          const response = await fetchUrl(url, { signal: AbortSignal.timeout(2_000) });
          await response.body?.cancel();
          last = `answered ${response.status}`;
          return response.status === 200;
        } catch (error) {
          last = describeFailure(error);
          return false;
        }
      },
      {
        timeoutMs: options.timeoutMs,
        intervalMs: options.intervalMs ?? 250,
        description: `GET ${url}`,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new Error(`not ready after ${Math.round(options.timeoutMs / 1000)} s (GET ${url}: ${last})`, {
      cause: error,
    });
  }
}
