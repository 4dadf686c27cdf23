import { type Axon, errorMessage, type MinerDeclaration, minerDeclarationSchema } from '@vstack/contracts';
import type { Logger } from '@vstack/observability';
import { Agent, request } from 'undici';
import { type CapacityRules, capacityFor } from '../quota/quota-policy';
import type { Miner } from './miner-registry';

/** Reads what a miner declares about itself; throws when the miner does not answer with a usable document. */
export interface MinerStatusReader {
  read(axon: Axon, timeoutMs: number): Promise<MinerDeclaration>;
  close?(): Promise<void>;
}

const MAX_STATUS_BYTES = 64 * 1024;

/** The URL of a miner's status document on its axon. */
export function statusUrlOf(axon: Axon): string {
  const host = axon.ip.includes(':') ? `[${axon.ip}]` : axon.ip;
  return `http://${host}:${axon.port}/status`;
}

/**
 * `GET http://<axon>/status`, the document the miner proxy serves: its JSON may carry `capacity` and `taskTypes`
 * (see minerDeclarationSchema). A 2xx or 503 answer counts; bodies above 64 KiB are refused.
 */
export class HttpMinerStatusReader implements MinerStatusReader {
  private readonly agent = new Agent({
    maxResponseSize: MAX_STATUS_BYTES,
    keepAliveTimeout: 10_000,
    connections: 4,
  });

  async read(axon: Axon, timeoutMs: number): Promise<MinerDeclaration> {
    const response = await request(statusUrlOf(axon), {
      dispatcher: this.agent,
      method: 'GET',
      headers: { accept: 'application/json' },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The proxy answers 503 while one of its components is down; what it declares still holds.
    if (response.statusCode !== 503 && (response.statusCode < 200 || response.statusCode > 299)) {
      await response.body.dump();
      throw new Error(`answered ${response.statusCode}`);
    }
    const parsed = minerDeclarationSchema.safeParse(await response.body.json());
    if (!parsed.success) {
      throw new Error(`answered ${response.statusCode} with a status document managing cannot use`);
    }
    return parsed.data;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function sameDeclaration(a: MinerDeclaration | undefined, b: MinerDeclaration): boolean {
  return a !== undefined && a.capacity === b.capacity && a.taskTypes?.join('\n') === b.taskTypes?.join('\n');
}

interface DeclarationEntry {
  declaration: MinerDeclaration | undefined;
  lastAttemptAt: number;
  lastSuccessAt: number | undefined;
  lastError: string | undefined;
}

export interface MinerDeclarationsOptions {
  reader: MinerStatusReader;
  capacity: CapacityRules;
  /** Task types a miner that declares none is taken to serve. */
  defaultTaskTypes: readonly string[];
  /** Each miner's status is read again after this long (failed reads are retried after at most a minute). */
  intervalMs: number;
  timeoutMs: number;
  /** Status reads in flight at once. */
  concurrency?: number;
  logger: Logger;
  clock?: () => number;
}

/** A miner's declared capacity and task types, as managing applies them. */
export interface AppliedDeclaration {
  capacity: number;
  capacityDeclared: boolean;
  taskTypes: readonly string[];
  taskTypesDeclared: boolean;
  /** When the status was last read successfully (unix ms). */
  readAt: number | undefined;
  /** Why the last read failed, when it did. */
  error: string | undefined;
}

/**
 * What each miner declares on its axon (`GET /status`): capacity per quota window, clamped to the configured range,
 * and the task types it serves. Read for new miners at once and for every miner each `intervalMs`; until a read
 * succeeds (or when the miner declares nothing) the default capacity and every built-in task type apply, and a
 * failed read keeps the last good declaration.
 */
export class MinerDeclarations {
  private readonly entries = new Map<string, DeclarationEntry>();
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private changes = 0;

  constructor(private readonly options: MinerDeclarationsOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** Grows whenever a miner's declared capacity or task types change, so callers can cache what they derive. */
  get version(): number {
    return this.changes;
  }

  /** The declaration as applied to `miner`. */
  of(miner: Miner): AppliedDeclaration {
    const entry = this.entries.get(miner.key);
    const declaration = entry?.declaration;
    const { capacity, declared } = capacityFor(declaration?.capacity, this.options.capacity);
    return {
      capacity,
      capacityDeclared: declared,
      taskTypes: declaration?.taskTypes ?? this.options.defaultTaskTypes,
      taskTypesDeclared: declaration?.taskTypes !== undefined,
      readAt: entry?.lastSuccessAt,
      error: entry?.lastError,
    };
  }

  /** The miner's capacity per quota window. */
  capacityOf(miner: Miner): number {
    const declared = this.entries.get(miner.key)?.declaration?.capacity;
    if (declared === undefined) return this.options.capacity.defaultCapacity;
    return capacityFor(declared, this.options.capacity).capacity;
  }

  /** True when the miner serves `taskType`. */
  serves(miner: Miner, taskType: string): boolean {
    const taskTypes = this.entries.get(miner.key)?.declaration?.taskTypes ?? this.options.defaultTaskTypes;
    return taskTypes.includes(taskType);
  }

  /** Drops what a departed miner declared. */
  forget(minerKey: string): void {
    if (this.entries.get(minerKey)?.declaration !== undefined) this.changes += 1;
    this.entries.delete(minerKey);
  }

  /** Reads the status of every miner that is due (never read, or read longer ago than the interval). */
  refresh(miners: readonly Miner[]): Promise<void> {
    if (this.running) return this.running;
    this.running = this.readDue(miners).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Checks every `checkMs` which miners are due and reads them. */
  start(miners: () => readonly Miner[], checkMs = 5_000): void {
    if (this.timer) clearTimeout(this.timer);
    const tick = () => {
      void this.refresh(miners()).finally(() => {
        if (this.timer === undefined) return;
        this.timer = setTimeout(tick, checkMs);
        this.timer.unref();
      });
    };
    this.timer = setTimeout(tick, 0);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private isDue(miner: Miner, now: number): boolean {
    const entry = this.entries.get(miner.key);
    if (!entry) return true;
    const wait =
      entry.lastError === undefined ? this.options.intervalMs : Math.min(this.options.intervalMs, 60_000);
    return now - entry.lastAttemptAt >= wait;
  }

  private async readDue(miners: readonly Miner[]): Promise<void> {
    const now = this.clock();
    const due = miners.filter((miner) => this.isDue(miner, now));
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const miner = due[next++];
        if (miner) await this.readOne(miner);
      }
    };
    await Promise.all(Array.from({ length: Math.min(due.length, this.options.concurrency ?? 16) }, worker));
  }

  private async readOne(miner: Miner): Promise<void> {
    const entry: DeclarationEntry = this.entries.get(miner.key) ?? {
      declaration: undefined,
      lastAttemptAt: 0,
      lastSuccessAt: undefined,
      lastError: undefined,
    };
    entry.lastAttemptAt = this.clock();
    this.entries.set(miner.key, entry);
    let declaration: MinerDeclaration;
    try {
      declaration = await this.options.reader.read(miner.axon, this.options.timeoutMs);
    } catch (error) {
      if (entry.lastError === undefined) {
        this.options.logger.debug(
          { uid: miner.uid, hotkey: miner.hotkey },
          `miner status: cannot read ${statusUrlOf(miner.axon)}: ${errorMessage(error)}`,
        );
      }
      entry.lastError = errorMessage(error);
      return;
    }
    // The miner may have left while its status was being read.
    if (this.entries.get(miner.key) !== entry) return;
    if (!sameDeclaration(entry.declaration, declaration)) this.changes += 1;
    entry.declaration = declaration;
    entry.lastSuccessAt = this.clock();
    entry.lastError = undefined;
  }
}
