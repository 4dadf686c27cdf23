import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainConnection, SubtensorClient, isDiscardedStateError, type ArchiveFallback } from '../src/index';
import { startDevnet, type RunningDevnet } from '@vstack/testing';

// The archive endpoint against two devnets: a pruned main node (the state of its last 5 blocks) and an
// archive node with the same default scenario. The two chains share genesis and block numbers but not the
// hashes of later blocks (each block carries its own timestamp), so only reads by NUMBER can cross from one
// to the other; on a real network the main and archive nodes follow one chain and reads by hash cross too.

const KEPT = 5;
const DEPTH = 10;
const BLOCKS = 30;

let main: RunningDevnet;
let archive: RunningDevnet;
let connection: ChainConnection;
/** A plain connection to the archive devnet, to seal blocks there and look up its hashes. */
let archiveDirect: ChainConnection;
let client: SubtensorClient;
const fallbacks: ArchiveFallback[] = [];

async function headOf(target: ChainConnection): Promise<number> {
  return (await target.send<{ number: number }>('dev_head', [])).number;
}

beforeAll(async () => {
  [main, archive] = await Promise.all([startDevnet({ statePruning: KEPT }), startDevnet()]);
  connection = new ChainConnection({
    endpoints: [main.url],
    archiveEndpoint: archive.url,
    archiveDepth: DEPTH,
    backoff: { initialDelayMs: 50, maxDelayMs: 400, jitter: 0 },
  });
  connection.on('archive-fallback', (info) => {
    fallbacks.push(info);
  });
  await connection.connect();
  client = new SubtensorClient({ connection });
  archiveDirect = new ChainConnection({ endpoints: [archive.url] });
  await Promise.all([
    connection.send('dev_newBlocks', [BLOCKS]),
    archiveDirect.send('dev_newBlocks', [BLOCKS]),
  ]);
  // The depth check uses the head the node announced: wait until the announcement caught up.
  const head = await headOf(connection);
  for (let waited = 0; (connection.bestHead?.number ?? 0) < head && waited < 5_000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});

afterAll(async () => {
  await Promise.all([connection.disconnect(), archiveDirect.disconnect()]);
  await Promise.all([main.stop(), archive.stop()]);
});

describe('archive endpoint', () => {
  it('the main node refuses state older than its last blocks, as a pruned node does', async () => {
    const old = await connection.send<string>('chain_getBlockHash', [1]);
    const refused = await connection.send('state_getRuntimeVersion', [old]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isDiscardedStateError(refused)).toBe(true);
    expect(String(refused)).toContain(`State already discarded for ${old}`);
  });

  it('reads a block further than archiveDepth behind the head from the archive, by number', async () => {
    fallbacks.length = 0;
    const head = await headOf(connection);
    const block = head - DEPTH - 5;
    const metagraph = await client.metagraph(1, block);
    expect(metagraph.block).toBe(block);
    expect(metagraph.source).toBe('runtime-api');
    expect(metagraph.neurons.map((neuron) => neuron.hotkey)).toHaveLength(8);
    const archiveHash = await archiveDirect.send<string>('chain_getBlockHash', [block]);
    expect(metagraph.blockHash).toBe(archiveHash);
    expect(fallbacks).toEqual([{ reason: 'depth', block, hash: archiveHash }]);
  });

  it('retries on the archive once when the main node answers that the state is discarded', async () => {
    fallbacks.length = 0;
    const head = await headOf(connection);
    // Within archiveDepth (so the main node is asked) but older than the main node's last KEPT blocks.
    const block = head - KEPT - 2;
    const metagraph = await client.metagraph(1, block);
    expect(metagraph.block).toBe(block);
    const hyperparameters = await client.hyperparameters(1, block);
    expect(hyperparameters.block).toBe(block);
    expect(fallbacks.map((info) => [info.reason, info.block])).toEqual([
      ['discarded', block],
      ['discarded', block],
    ]);
  });

  it('reads recent blocks on the main node without a fallback', async () => {
    fallbacks.length = 0;
    const head = await headOf(connection);
    const metagraph = await client.metagraph(1, head - 1);
    expect(metagraph.block).toBe(head - 1);
    expect(fallbacks).toEqual([]);
  });
});
