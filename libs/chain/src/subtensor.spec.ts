import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ChainErrorCode, isChainError } from './errors';
import type { Hyperparameters } from './hyperparameters';
import { SubtensorClient, type ChainAccess } from './subtensor';

// Weights-mode detection and its refusal, with a fake chain: the calls and storage items the runtime has
// are what the lib reads from metadata names, so a fake only has to list them.

type Calls =
  'setWeights' | 'commitWeights' | 'revealWeights' | 'commitCrv3Weights' | 'commitTimelockedWeights';

const storageValues: Record<string, unknown> = {
  tempo: 100,
  weightsSetRateLimit: 50,
  commitRevealWeightsEnabled: true,
  revealPeriodEpochs: 1,
  weightsVersionKey: 0,
  minAllowedWeights: 1,
  maxWeightsLimit: 65535,
  maxAllowedUids: 256,
  subnetworkN: 4,
  networksAdded: true,
  commitRevealWeightsVersion: 4,
};

function codec(value: unknown): object {
  return {
    isTrue: value === true,
    toBigInt: () => BigInt(typeof value === 'boolean' ? Number(value) : (value as number)),
    toString: () => String(value),
  };
}

function fakeChain(calls: Calls[], storage: string[]): ChainAccess {
  const tx = Object.fromEntries(calls.map((name) => [name, () => ({})]));
  const query = Object.fromEntries(
    storage.map((name) => {
      const item = Object.assign(() => Promise.resolve(codec(storageValues[name])), { storageName: name });
      return [name, item];
    }),
  );
  const decorated = {
    query: { subtensorModule: query },
    queryMulti: (list: [{ storageName: string }, ...unknown[]][]) =>
      Promise.resolve(list.map(([item]) => codec(storageValues[item.storageName]))),
  };
  const api = { tx: { subtensorModule: tx } };
  const events = new EventEmitter();
  return {
    ready: () => Promise.resolve(api),
    readAtBlock: (_: unknown, read: (block: unknown) => Promise<unknown>) =>
      read({ api: decorated, hash: '0x01', number: 10 }),
    on: events.on.bind(events),
  } as unknown as ChainAccess;
}

const baseStorage = Object.keys(storageValues).filter((name) => name !== 'commitRevealWeightsVersion');

function hp(overrides: Partial<Hyperparameters>): Hyperparameters {
  return { commitRevealEnabled: true, commitRevealVersion: undefined, ...overrides } as Hyperparameters;
}

describe('SubtensorClient.weightsMode', () => {
  it('is direct when commit-reveal is off', async () => {
    const client = new SubtensorClient({ connection: fakeChain(['setWeights'], baseStorage) });
    expect(await client.weightsMode(1, hp({ commitRevealEnabled: false }))).toBe('direct');
  });

  it('uses hash commit-reveal when the chain has commit_weights and no timelocked version', async () => {
    const calls: Calls[] = ['setWeights', 'commitWeights', 'revealWeights', 'commitTimelockedWeights'];
    const client = new SubtensorClient({ connection: fakeChain(calls, baseStorage) });
    expect(await client.weightsMode(1, hp({}))).toBe('commit-reveal');
  });

  it('is timelocked when CommitRevealWeightsVersion is 3 or more, or only timelocked commits exist', async () => {
    const all: Calls[] = ['setWeights', 'commitWeights', 'revealWeights', 'commitTimelockedWeights'];
    const client = new SubtensorClient({ connection: fakeChain(all, baseStorage) });
    expect(await client.weightsMode(1, hp({ commitRevealVersion: 4 }))).toBe('timelocked');
    const crv3Only = new SubtensorClient({
      connection: fakeChain(['setWeights', 'commitCrv3Weights'], baseStorage),
    });
    expect(await crv3Only.weightsMode(1, hp({}))).toBe('timelocked');
  });

  it('refuses to set weights on a timelocked subnet with a typed error that says why', async () => {
    const calls: Calls[] = ['setWeights', 'commitWeights', 'revealWeights', 'commitTimelockedWeights'];
    const client = new SubtensorClient({
      connection: fakeChain(calls, [...baseStorage, 'commitRevealWeightsVersion']),
    });
    const error = await client
      .setWeights({ address: 'x' } as never, 1, { '0': 1 })
      .catch((caught: unknown) => caught);
    expect(isChainError(error, ChainErrorCode.CommitRevealModeUnsupported)).toBe(true);
    expect((error as Error).message).toMatch(/commit_timelocked_weights.*version 4.*drand/i);
  });
});
