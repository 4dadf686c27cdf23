import { setTimeout as sleep } from 'node:timers/promises';
import { xxhashAsHex } from '@polkadot/util-crypto';

/** Polls `read` until `done` holds for its value, and returns that value; fails with the last one after `timeoutMs`. */
export async function until<T>(
  description: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = last === undefined ? String(lastError) : JSON.stringify(last);
      throw new Error(`${description}: not reached within ${timeoutMs} ms; last: ${detail}`);
    }
    await sleep(intervalMs);
  }
}

/** Ranks of `values` (1 = smallest), ties sharing their average rank. */
function ranks(values: readonly number[]): number[] {
  const order = values.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  const result = new Array<number>(values.length).fill(0);
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]?.value === order[start]?.value) end += 1;
    const rank = (start + end) / 2 + 1;
    for (let at = start; at <= end; at += 1) result[order[at]?.index ?? 0] = rank;
    start = end + 1;
  }
  return result;
}

/** Spearman's rank correlation of two equally long series (Pearson's on their ranks), from -1 to 1. */
export function spearman(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length < 2) throw new Error('spearman needs two series of one length (2+)');
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (ra.length + 1) / 2;
  let covariance = 0;
  let varianceA = 0;
  let varianceB = 0;
  for (let index = 0; index < ra.length; index += 1) {
    const da = (ra[index] ?? 0) - mean;
    const db = (rb[index] ?? 0) - mean;
    covariance += da * db;
    varianceA += da * da;
    varianceB += db * db;
  }
  return varianceA === 0 || varianceB === 0 ? 0 : covariance / Math.sqrt(varianceA * varianceB);
}

/** A JSON-RPC call to the devnet over HTTP POST. */
export async function devnetCall<T>(port: number, method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${port}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const answer = (await response.json()) as { result?: T; error?: { message: string } };
  if (answer.error) throw new Error(`${method}: ${answer.error.message}`);
  return answer.result as T;
}

function u16Le(value: number): string {
  return Buffer.from([value & 0xff, value >> 8]).toString('hex');
}

/** Reads one SCALE compact integer from `bytes` at `offset`; returns it and the offset after it. */
function readCompact(bytes: Buffer, offset: number): [number, number] {
  const first = bytes[offset] ?? 0;
  switch (first & 0b11) {
    case 0:
      return [first >> 2, offset + 1];
    case 1:
      return [bytes.readUInt16LE(offset) >> 2, offset + 2];
    case 2:
      return [bytes.readUInt32LE(offset) >>> 2, offset + 4];
    default:
      throw new Error('a weight row of more than 2^30 entries');
  }
}

/**
 * The weights neuron `uid` has on subnet `netuid` at the devnet's head, by destination uid, as stored (u16, the
 * largest 65535): `SubtensorModule.Weights(netuid, uid)`, a double map with identity hashers holding
 * `Vec<(u16, u16)>` (subtensor's metadata v14), read with `state_getStorage`.
 */
export async function weightsOnChain(
  port: number,
  netuid: number,
  uid: number,
): Promise<Map<number, number>> {
  const key = `${xxhashAsHex('SubtensorModule', 128)}${xxhashAsHex('Weights', 128).slice(2)}${u16Le(netuid)}${u16Le(uid)}`;
  const raw = await devnetCall<string | null>(port, 'state_getStorage', [key]);
  const weights = new Map<number, number>();
  if (raw === null) return weights;
  const bytes = Buffer.from(raw.slice(2), 'hex');
  let [count, offset] = readCompact(bytes, 0);
  for (; count > 0; count -= 1) {
    weights.set(bytes.readUInt16LE(offset), bytes.readUInt16LE(offset + 2));
    offset += 4;
  }
  return weights;
}
