import { performance } from 'node:perf_hooks';

// Open-loop load on the gateway: submission i is sent at start + i / rate whether or not earlier ones have been
// answered, so a stack that slows down cannot slow the load down with it and hide its own delay.

/** One submission and what the gateway answered. */
export interface Submission {
  /** When it was due (epoch ms): latencies count from here. */
  plannedAt: number;
  /** When the answer (or the error) came, epoch ms. */
  answeredAt: number;
  /** The HTTP status; 0 when no answer came (refused or reset connection, timeout). */
  status: number;
  /** The task id of an accepted (202) submission. */
  taskId?: string;
  /** The error code of a refusal, or the network error of a submission without an answer. */
  error?: string;
}

/** An API key the load submits with. */
export interface LoadKey {
  id: string;
  secret: string;
}

export interface LoadOptions {
  /** The gateway's base URL. */
  url: string;
  /** Submissions go round these keys. */
  keys: readonly LoadKey[];
  /** Submissions per second. */
  rate: number;
  /** How long one submission may take before it counts as unanswered. */
  timeoutMs?: number;
  /** Submissions waiting for an answer beyond this are not sent (the error says so): the client's own limit. */
  maxInFlight?: number;
}

/** Epoch milliseconds with sub-millisecond resolution (the same clock as Date.now). */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/** The cause of a failed fetch, as a short code (ECONNREFUSED, UND_ERR_SOCKET, TimeoutError, …). */
function networkError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    if (cause && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string')
      return cause.code;
    return error.name === 'Error' ? error.message : error.name;
  }
  return String(error);
}

/** Arithmetic tasks at a steady rate, submitted asynchronously (202), until stopped. */
export class OpenLoopLoad {
  readonly submissions: Submission[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private sent = 0;

  constructor(private readonly options: LoadOptions) {}

  start(): void {
    if (this.timer) throw new Error('the load is running already');
    this.startedAt = nowMs();
    this.timer = setInterval(() => {
      this.tick();
    }, 5);
  }

  /** Stops sending and waits for every answer still due. */
  async stop(): Promise<Submission[]> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
    return this.submissions;
  }

  private tick(): void {
    const due = Math.floor(((nowMs() - this.startedAt) / 1000) * this.options.rate);
    for (; this.sent < due; this.sent += 1) {
      const plannedAt = this.startedAt + (this.sent / this.options.rate) * 1000;
      if (this.inFlight.size >= (this.options.maxInFlight ?? 5_000)) {
        this.submissions.push({ plannedAt, answeredAt: nowMs(), status: 0, error: 'client_in_flight_limit' });
        continue;
      }
      const submission = this.submit(this.sent, plannedAt);
      this.inFlight.add(submission);
      void submission.finally(() => this.inFlight.delete(submission));
    }
  }

  private async submit(index: number, plannedAt: number): Promise<void> {
    const key = this.options.keys[index % this.options.keys.length];
    if (!key) throw new Error('the load has no keys');
    const record: Submission = { plannedAt, answeredAt: 0, status: 0 };
    try {
      const response = await fetch(`${this.options.url}/v1/tasks/arithmetic`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          input: { operation: index % 2 === 0 ? 'add' : 'multiply', a: String(index), b: String(index % 97) },
        }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
      const body = (await response.json().catch(() => undefined)) as
        { id?: unknown; error?: { code?: unknown } } | undefined;
      record.status = response.status;
      if (response.status === 202 && typeof body?.id === 'string') record.taskId = body.id;
      else if (typeof body?.error?.code === 'string') record.error = body.error.code;
    } catch (error) {
      record.error = networkError(error);
    }
    record.answeredAt = nowMs();
    this.submissions.push(record);
  }
}
