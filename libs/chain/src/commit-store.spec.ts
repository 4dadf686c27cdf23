import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FileCommitStore,
  MemoryCommitStore,
  type PendingCommit,
  type WeightsCommitStore,
} from './commit-store';

function commit(overrides: Partial<PendingCommit>): PendingCommit {
  return {
    hotkey: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY',
    netuid: 1,
    hash: '0x01',
    uids: [1, 2],
    weights: [65535, 100],
    salt: [1, 2, 3, 4, 5, 6, 7, 8],
    versionKey: '18446744073709551615',
    commitBlock: 100,
    firstRevealBlock: 110,
    lastRevealBlock: 120,
    ...overrides,
  };
}

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'vstack-chain-commits-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe.each([
  ['MemoryCommitStore', () => new MemoryCommitStore()],
  [
    'FileCommitStore',
    () => new FileCommitStore(join(folder, Math.random().toString(16).slice(2), 'commits.json')),
  ],
] as [string, () => WeightsCommitStore][])('%s', (_name, create) => {
  it('lists a hotkey’s commits on a subnet oldest first and removes them by hash', async () => {
    const store = create();
    await store.save(commit({ hash: '0xb', commitBlock: 200 }));
    await store.save(commit({ hash: '0xa', commitBlock: 100 }));
    await store.save(commit({ hash: '0xc', netuid: 2 }));
    await store.save(commit({ hash: '0xd', hotkey: 'other' }));
    expect((await store.list(commit({}).hotkey, 1)).map((c) => c.hash)).toEqual(['0xa', '0xb']);
    await store.remove(commit({}).hotkey, 1, '0xa');
    expect((await store.list(commit({}).hotkey, 1)).map((c) => c.hash)).toEqual(['0xb']);
    expect(await store.list('other', 1)).toHaveLength(1);
  });

  it('keeps one entry per hash', async () => {
    const store = create();
    await Promise.all([store.save(commit({ commitBlock: 1 })), store.save(commit({ commitBlock: 2 }))]);
    expect(await store.list(commit({}).hotkey, 1)).toHaveLength(1);
  });
});

describe('FileCommitStore', () => {
  it('survives a restart: a new store on the same file sees the commit, salt and version key intact', async () => {
    const path = join(folder, 'restart', 'commits.json');
    await new FileCommitStore(path).save(commit({ hash: '0xfeed' }));
    const reopened = await new FileCommitStore(path).list(commit({}).hotkey, 1);
    expect(reopened).toEqual([commit({ hash: '0xfeed' })]);
    expect(JSON.parse(await readFile(path, 'utf8'))).toHaveProperty('commits');
  });
});
