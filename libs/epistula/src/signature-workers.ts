import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { EpistulaError, EpistulaErrorCode } from './errors';

/**
 * Where the verifier checks sr25519 signatures. The default checks on the calling thread; a
 * `SignatureWorkerPool` checks on worker threads, so one process can verify on several cores.
 */
export interface SignatureChecker {
  /** True when `signature` signs `message` for `publicKey` (also over `<Bytes>message</Bytes>` when asked). */
  check(
    signature: Uint8Array,
    message: Uint8Array,
    publicKey: Uint8Array,
    acceptWrapped: boolean,
  ): boolean | Promise<boolean>;
}

interface CheckMessage {
  id: number;
  signature: Uint8Array;
  message: Uint8Array;
  publicKey: Uint8Array;
  acceptWrapped: boolean;
}

interface ResultMessage {
  id: number;
  ok: boolean;
}

interface Pending {
  resolve(ok: boolean): void;
  reject(error: Error): void;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Whether it ever answered: one that dies before it did is not replaced, so a broken build cannot loop. */
  answered: boolean;
}

// Runs in each worker as a CommonJS script; the WebAssembly build is loaded from the path the pool resolved.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { sr25519Verify, waitReady } = require(workerData.wasmCrypto);
const open = Buffer.from('<Bytes>', 'utf8');
const close = Buffer.from('</Bytes>', 'utf8');
function verify(item) {
  try {
    if (sr25519Verify(item.signature, item.message, item.publicKey)) return true;
    return item.acceptWrapped && sr25519Verify(item.signature, Buffer.concat([open, item.message, close]), item.publicKey);
  } catch {
    return false;
  }
}
waitReady().then((ok) => {
  if (!ok) throw new Error('the sr25519 WebAssembly module failed to load');
  parentPort.on('message', (item) => parentPort.postMessage({ id: item.id, ok: verify(item) }));
});
`;

export interface SignatureWorkerPoolOptions {
  /** Worker threads to start (at least 1). */
  threads: number;
}

/**
 * sr25519 checks on worker threads: each check goes to the worker with the fewest checks in hand. A worker that
 * dies fails its checks with `epistula_crypto_unavailable` (503) and is replaced (unless it never answered: then
 * the pool shrinks, and with no worker left every check fails with that code). Workers do not keep the process
 * alive; `close()` stops them.
 */
export class SignatureWorkerPool implements SignatureChecker {
  private readonly workers: PoolWorker[] = [];
  private readonly wasmCrypto: string;
  private nextId = 0;
  private closed = false;

  constructor(options: SignatureWorkerPoolOptions) {
    if (!Number.isSafeInteger(options.threads) || options.threads < 1) {
      throw new EpistulaError(
        EpistulaErrorCode.InvalidOptions,
        `a signature worker pool needs at least one thread, not ${options.threads}`,
      );
    }
    this.wasmCrypto = createRequire(import.meta.url).resolve('@polkadot/wasm-crypto');
    for (let index = 0; index < options.threads; index += 1) this.workers.push(this.spawn());
  }

  /** Worker threads running now. */
  get threads(): number {
    return this.workers.length;
  }

  check(
    signature: Uint8Array,
    message: Uint8Array,
    publicKey: Uint8Array,
    acceptWrapped: boolean,
  ): Promise<boolean> {
    if (this.closed) {
      return Promise.reject(
        new EpistulaError(EpistulaErrorCode.CryptoUnavailable, 'the signature workers are stopped'),
      );
    }
    let chosen = this.workers[0];
    for (const candidate of this.workers) {
      if (chosen === undefined || candidate.pending.size < chosen.pending.size) chosen = candidate;
    }
    if (chosen === undefined) {
      return Promise.reject(new EpistulaError(EpistulaErrorCode.CryptoUnavailable, 'no signature worker'));
    }
    const target = chosen;
    const id = this.nextId;
    this.nextId = (this.nextId + 1) % Number.MAX_SAFE_INTEGER;
    return new Promise<boolean>((resolve, reject) => {
      target.pending.set(id, { resolve, reject });
      const item: CheckMessage = { id, signature, message, publicKey, acceptWrapped };
      target.worker.postMessage(item);
    });
  }

  /** Stops every worker; checks still in hand fail. */
  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers.splice(0);
    for (const entry of workers) this.fail(entry, 'the signature workers are stopped');
    await Promise.all(workers.map((entry) => entry.worker.terminate()));
  }

  private spawn(): PoolWorker {
    const worker = new Worker(workerSource, { eval: true, workerData: { wasmCrypto: this.wasmCrypto } });
    const entry: PoolWorker = { worker, pending: new Map(), answered: false };
    worker.unref();
    worker.on('message', (result: ResultMessage) => {
      entry.answered = true;
      const pending = entry.pending.get(result.id);
      if (pending === undefined) return;
      entry.pending.delete(result.id);
      pending.resolve(result.ok);
    });
    const replace = (reason: string) => {
      this.fail(entry, reason);
      const index = this.workers.indexOf(entry);
      if (index < 0 || this.closed) return;
      if (entry.answered) this.workers.splice(index, 1, this.spawn());
      else this.workers.splice(index, 1);
    };
    worker.on('error', (error) => {
      replace(`a signature worker failed: ${error.message}`);
    });
    worker.on('exit', (code) => {
      replace(`a signature worker exited with code ${code}`);
    });
    return entry;
  }

  private fail(entry: PoolWorker, reason: string): void {
    const pending = [...entry.pending.values()];
    entry.pending.clear();
    for (const check of pending) check.reject(new EpistulaError(EpistulaErrorCode.CryptoUnavailable, reason));
  }
}
