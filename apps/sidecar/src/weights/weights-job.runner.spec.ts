import { ChainError, ChainErrorCode, epochAt, revealWindow, silentLogger } from '@vstack/chain';
import { describe, expect, it } from 'vitest';
import type { WeightsJobRecord } from './weights-job.entity';
import { epochLastBlock, sameWeights, WeightsJobRunner, WeightsRunInterrupted } from './weights-job.runner';
import {
  ALICE,
  BLOCK_MS,
  FakeChain,
  FakeStore,
  FakeTimers,
  moduleError,
  NETUID,
  RecordingMetrics,
} from './weights.fakes';

interface Setup {
  timers: FakeTimers;
  chain: FakeChain;
  store: FakeStore;
  metrics: RecordingMetrics;
  runner: WeightsJobRunner;
  /** Stores a job for the epoch at the current head (or the given one). */
  schedule(weights?: Record<string, number>, epoch?: number): Promise<string>;
}

function setup(
  options: { startBlock?: number; retryDelayMs?: number; attemptTimeoutMs?: number } = {},
): Setup {
  const timers = new FakeTimers();
  timers.ms = (options.startBlock ?? 1_000) * BLOCK_MS;
  const chain = new FakeChain(timers);
  const store = new FakeStore(timers);
  const metrics = new RecordingMetrics();
  const runner = new WeightsJobRunner({
    chain,
    store,
    timers,
    metrics,
    logger: silentLogger,
    signerFor: (identity) => (identity === 'alice' ? ALICE : undefined),
    options: {
      attemptTimeoutMs: options.attemptTimeoutMs ?? 30_000,
      retryDelayMs: options.retryDelayMs ?? 2_000,
      pollIntervalMs: BLOCK_MS,
    },
  });
  let next = 0;
  return {
    timers,
    chain,
    store,
    metrics,
    runner,
    async schedule(weights = { '5Dave': 0.8, '5Eve': 0.2 }, epoch) {
      const head = Math.floor(timers.ms / BLOCK_MS);
      const { job } = await store.create({
        id: `job-${++next}`,
        identity: 'alice',
        netuid: NETUID,
        epoch: epoch ?? epochAt(NETUID, chain.tempo, head).index,
        source: 'api',
        weights,
        count: Object.keys(weights).length,
      });
      return job.id;
    },
  };
}

async function runToEnd(s: Setup, id: string, signal?: AbortSignal): Promise<WeightsJobRecord> {
  const job = await s.runner.run(id, signal);
  if (!job) throw new Error(`no job ${id}`);
  return job;
}

describe('WeightsJobRunner: direct set_weights', () => {
  it('sets the weights in one attempt: scheduled → submitting → succeeded', async () => {
    const s = setup();
    const id = await s.schedule();
    const job = await runToEnd(s, id);
    expect(job).toMatchObject({ state: 'succeeded', mode: 'direct', attempts: 1, count: 2, txHash: '0xtx1' });
    expect(job.block).toBe(1_001);
    expect(s.chain.weights.get(0)).toEqual({ uids: [3, 4], weights: [65_535, 16_384] });
    expect(s.metrics.attempts).toEqual(['set:ok']);
    expect(s.metrics.jobs).toEqual(['succeeded']);
  });

  it('waits for the block the rate limit allows instead of burning attempts on SettingWeightsTooFast', async () => {
    const s = setup();
    s.chain.lastUpdate.set(0, 998);
    const id = await s.schedule();
    const job = await runToEnd(s, id);
    expect(job).toMatchObject({ state: 'succeeded', attempts: 1 });
    // The chain accepts the next set_weights in block lastUpdate + WeightsSetRateLimit.
    expect(job.block).toBe(1_008);
    expect(s.chain.submissions.map((submission) => submission.block)).toEqual([1_008]);
    expect(s.metrics.attempts).toEqual(['set:ok']);
  });

  it('waits again when the chain still says too fast (another writer), without backoff', async () => {
    const s = setup();
    const id = await s.schedule();
    const origin = s.chain.submit.bind(s.chain);
    let first = true;
    s.chain.submit = async (...args) => {
      if (first) {
        // Someone else set weights with this hotkey between our read and our submission.
        first = false;
        s.chain.lastUpdate.set(0, 1_000);
      }
      return origin(...args);
    };
    const job = await runToEnd(s, id);
    expect(job.state).toBe('succeeded');
    expect(s.metrics.attempts).toEqual(['set:rate_limited', 'set:ok']);
    expect(job.block).toBe(1_010);
    expect(job.lastError).toContain('SettingWeightsTooFast');
  });

  it('retries failed attempts with a doubling delay capped at 60 s', async () => {
    // The first block of an epoch of 361 blocks: room for 190 s of delays.
    const s = setup({ retryDelayMs: 10_000, startBlock: 1_081 });
    s.chain.tempo = 360;
    const rejected = () => new ChainError(ChainErrorCode.TransactionRejected, 'the node refused it');
    s.chain.failures.push(rejected(), rejected(), rejected(), rejected(), rejected());
    const id = await s.schedule();
    const job = await runToEnd(s, id);
    expect(job).toMatchObject({ state: 'succeeded', attempts: 6 });
    const at = s.chain.submissions.map((submission) => submission.at);
    const gaps = at.slice(1).map((time, index) => time - (at[index] ?? 0));
    expect(gaps).toEqual([10_000, 20_000, 40_000, 60_000, 60_000]);
    expect(s.metrics.attempts).toEqual([...Array<string>(5).fill('set:error'), 'set:ok']);
  });

  it('expires when its epoch ends before the weights land', async () => {
    const s = setup({ retryDelayMs: 5_000 });
    for (let i = 0; i < 100; i++)
      s.chain.failures.push(new ChainError(ChainErrorCode.TransactionRejected, 'no'));
    const id = await s.schedule();
    const epoch = epochAt(NETUID, s.chain.tempo, 1_000);
    const job = await runToEnd(s, id);
    expect(job.state).toBe('expired');
    expect(job.lastError).toBe(
      `epoch ${epoch.index} of subnet ${NETUID} ended in block ${epoch.epochBlock} before the weights reached the chain`,
    );
    // Every attempt lands in a block of the epoch; none after it.
    expect(Math.max(...s.chain.submissions.map((submission) => submission.block))).toBeLessThanOrEqual(
      epoch.epochBlock ?? 0,
    );
    expect(s.metrics.jobs).toEqual(['expired']);
  });

  it('expires at once when the rate limit allows the next submission only after the epoch', async () => {
    const s = setup();
    s.chain.weightsRateLimit = 100;
    s.chain.lastUpdate.set(0, 999);
    const id = await s.schedule();
    const job = await runToEnd(s, id);
    expect(job.state).toBe('expired');
    expect(job.attempts).toBe(0);
    expect(job.lastError).toMatch(
      /rate limit \(100 blocks after block 999\) allows the next submission in block 1099/,
    );
    expect(s.chain.submissions).toEqual([]);
  });

  it('times out a hanging attempt and tries again', async () => {
    const s = setup({ attemptTimeoutMs: 20_000 });
    s.chain.failures.push('hang');
    const id = await s.schedule();
    const job = await runToEnd(s, id);
    expect(job).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(s.metrics.attempts).toEqual(['set:timeout', 'set:ok']);
    expect(job.lastError).toContain('longer than 20000 ms');
  });

  it('recognises, after a crash mid-attempt, a set_weights that landed and does not send it again', async () => {
    const s = setup();
    const id = await s.schedule();
    // A previous process marked the attempt and died; its extrinsic landed in block 1001.
    await s.store.update(id, ['scheduled'], { state: 'submitting', attempts: 1, lastAttemptBlock: 1_000 });
    s.chain.lastUpdate.set(0, 1_001);
    s.chain.weights.set(0, { uids: [3, 4], weights: [65_535, 16_384] });
    const job = await runToEnd(s, id);
    expect(job).toMatchObject({ state: 'succeeded', attempts: 1, block: 1_001, txHash: null });
    expect(s.chain.submissions).toEqual([]);
  });

  it('fails, without attempts, when no hotkey is registered on the subnet', async () => {
    const s = setup();
    const id = await s.schedule({ '5Nobody': 1 });
    const job = await runToEnd(s, id);
    expect(job).toMatchObject({ state: 'failed', attempts: 0 });
    expect(job.lastError).toBe(`none of the 1 hotkeys is registered on subnet ${NETUID}`);
  });

  it('fails a job of an identity the sidecar does not have', async () => {
    const s = setup();
    const { job: stored } = await s.store.create({
      id: 'from-scoring',
      identity: 'mallory',
      netuid: NETUID,
      epoch: 16,
      source: 'queue',
      weights: { '5Dave': 1 },
      count: 1,
    });
    const job = await runToEnd(s, stored.id);
    expect(job).toMatchObject({ state: 'failed', lastError: 'no identity named "mallory" is configured' });
  });

  it('fails on a timelocked subnet with the chain lib error', async () => {
    const s = setup();
    s.chain.mode = 'timelocked';
    const id = await s.schedule();
    const job = await runToEnd(s, id);
    expect(job).toMatchObject({ state: 'failed', mode: null, attempts: 1 });
    expect(job.lastError).toContain('requires timelocked commit-reveal');
    expect(s.metrics.jobs).toEqual(['failed']);
  });

  it('leaves a job that is already final alone (re-delivery)', async () => {
    const s = setup();
    const id = await s.schedule();
    await runToEnd(s, id);
    const again = await runToEnd(s, id);
    expect(again.state).toBe('succeeded');
    expect(s.chain.submissions).toHaveLength(1);
  });
});

describe('WeightsJobRunner: cancel and shutdown', () => {
  it('stops at its next check point when a newer job cancels it while it waits', async () => {
    const s = setup();
    s.chain.lastUpdate.set(0, 998);
    const id = await s.schedule();
    s.timers.onSleep = async (timers) => {
      if (timers.ms >= 1_003 * BLOCK_MS) await s.store.cancel(id);
    };
    const job = await runToEnd(s, id);
    expect(job).toMatchObject({ state: 'cancelled', attempts: 0, lastError: 'superseded' });
    expect(s.chain.submissions).toEqual([]);
    expect(s.timers.ms).toBeLessThan(1_005 * BLOCK_MS);
  });

  it('keeps the job cancelled when its commit lands after the cancel, and drops the commit', async () => {
    const s = setup();
    s.chain.mode = 'commit-reveal';
    const id = await s.schedule();
    s.chain.beforeLanding = () => s.store.cancel(id);
    const job = await runToEnd(s, id);
    expect(job).toMatchObject({ state: 'cancelled', mode: 'commit-reveal', block: 1_001 });
    expect(job.lastError).toBe(
      'superseded; its commit_weights was already on its way and landed in block 1001',
    );
    expect(s.chain.commits).toEqual([]);
  });

  it('throws WeightsRunInterrupted on shutdown and leaves the job for the next run', async () => {
    const s = setup();
    s.chain.lastUpdate.set(0, 998);
    const id = await s.schedule();
    const stopping = new AbortController();
    s.timers.onSleep = () => {
      stopping.abort();
    };
    await expect(s.runner.run(id, stopping.signal)).rejects.toBeInstanceOf(WeightsRunInterrupted);
    expect((await s.store.get(id))?.state).toBe('scheduled');
    s.timers.onSleep = undefined;
    expect((await runToEnd(s, id)).state).toBe('succeeded');
  });

  it('stops waiting for an extrinsic on shutdown; the next run sends it again', async () => {
    const s = setup();
    const id = await s.schedule();
    const stopping = new AbortController();
    s.chain.failures.push('hang');
    const origin = s.chain.submit.bind(s.chain);
    s.chain.submit = (...args) => {
      stopping.abort();
      return origin(...args);
    };
    const started = s.timers.ms;
    await expect(s.runner.run(id, stopping.signal)).rejects.toBeInstanceOf(WeightsRunInterrupted);
    expect(s.timers.ms).toBe(started);
    expect((await s.store.get(id))?.state).toBe('submitting');
    const job = await runToEnd(s, id);
    expect(job).toMatchObject({ state: 'succeeded', attempts: 2 });
  });
});

describe('WeightsJobRunner: commit-reveal', () => {
  it('commits, waits for the reveal window and reveals: committed → revealed → succeeded', async () => {
    const s = setup();
    s.chain.mode = 'commit-reveal';
    const id = await s.schedule();
    const job = await runToEnd(s, id);
    const window = revealWindow(NETUID, s.chain.tempo, 1, 1_001);
    expect(job).toMatchObject({
      state: 'succeeded',
      mode: 'commit-reveal',
      attempts: 2,
      block: 1_001,
      revealFromBlock: window.firstBlock,
      revealUntilBlock: window.lastBlock,
      revealTxHash: '0xreveal2',
    });
    expect(job.revealBlock).toBe(window.firstBlock);
    expect(s.chain.submissions.map((submission) => submission.kind)).toEqual(['commit', 'reveal']);
    expect(s.metrics.attempts).toEqual(['commit:ok', 'reveal:ok']);
    expect(s.metrics.jobs).toEqual(['succeeded']);
    expect(s.chain.weights.get(0)).toEqual({ uids: [3, 4], weights: [65_535, 16_384] });
  });

  it('resumes a job that a previous process committed and reveals it', async () => {
    const s = setup();
    s.chain.mode = 'commit-reveal';
    const id = await s.schedule();
    // The previous process committed (the commit is in the store), then died before the reveal.
    const committed = await s.chain.submit(ALICE, NETUID, { '3': 1 }, 'commit-reveal');
    if (committed.kind !== 'committed') throw new Error('expected a commit');
    await s.store.update(id, ['scheduled'], {
      state: 'committed',
      mode: 'commit-reveal',
      attempts: 1,
      txHash: committed.txHash,
      block: committed.block,
      commitHash: committed.commit.hash,
      revealFromBlock: committed.commit.firstRevealBlock,
      revealUntilBlock: committed.commit.lastRevealBlock,
    });
    const job = await runToEnd(s, id);
    expect(job).toMatchObject({
      state: 'succeeded',
      attempts: 2,
      revealBlock: committed.commit.firstRevealBlock,
    });
    expect(s.chain.submissions.map((submission) => submission.kind)).toEqual(['commit', 'reveal']);
  });

  it('adopts a commit that landed while the process died mid-attempt', async () => {
    const s = setup();
    s.chain.mode = 'commit-reveal';
    const id = await s.schedule();
    await s.store.update(id, ['scheduled'], { state: 'submitting', attempts: 1, lastAttemptBlock: 1_000 });
    await s.chain.submit(ALICE, NETUID, { '3': 0.8, '4': 0.2 }, 'commit-reveal');
    const job = await runToEnd(s, id);
    expect(job).toMatchObject({ state: 'succeeded', attempts: 2, commitHash: '0xcommit1' });
    expect(s.chain.submissions.map((submission) => submission.kind)).toEqual(['commit', 'reveal']);
  });

  it('expires when the reveal window has closed, and drops the commit', async () => {
    const s = setup();
    s.chain.mode = 'commit-reveal';
    const id = await s.schedule();
    const committed = await s.chain.submit(ALICE, NETUID, { '3': 1 }, 'commit-reveal');
    if (committed.kind !== 'committed') throw new Error('expected a commit');
    await s.store.update(id, ['scheduled'], {
      state: 'committed',
      commitHash: committed.commit.hash,
      revealFromBlock: committed.commit.firstRevealBlock,
      revealUntilBlock: committed.commit.lastRevealBlock,
    });
    s.timers.ms = (committed.commit.lastRevealBlock + 1) * BLOCK_MS;
    const job = await runToEnd(s, id);
    expect(job.state).toBe('expired');
    expect(job.lastError).toMatch(/reveal window \(blocks \d+ to \d+\) closed/);
    expect(s.chain.commits).toEqual([]);
  });

  it('retries a failed reveal with backoff inside the window', async () => {
    const s = setup();
    s.chain.mode = 'commit-reveal';
    s.chain.revealFailures.push(new ChainError(ChainErrorCode.Timeout, 'reveal_weights was not in a block'));
    const origin = s.chain.reveal.bind(s.chain);
    s.chain.reveal = async (signer) => {
      try {
        return await origin(signer);
      } catch (error) {
        // The lib reports a failed reveal per commit, keeping the commit stored.
        const [commit] = s.chain.commits;
        if (!commit || !(error instanceof ChainError)) throw error;
        return { revealed: [], waiting: [], expired: [], failed: [{ commit, error, dropped: false }] };
      }
    };
    const id = await s.schedule();
    const job = await runToEnd(s, id);
    expect(job).toMatchObject({ state: 'succeeded', attempts: 3 });
    expect(s.metrics.attempts).toEqual(['commit:ok', 'reveal:timeout', 'reveal:ok']);
  });

  it.each([
    ['holds the committed weights', true, 'succeeded'],
    ['holds other weights', false, 'failed'],
  ] as const)(
    'after NoWeightsCommitFound (a reveal sent before a crash), finishes when the chain %s',
    async (_case, revealedBefore, state) => {
      const s = setup();
      s.chain.mode = 'commit-reveal';
      const id = await s.schedule();
      const committed = await s.chain.submit(ALICE, NETUID, { '3': 0.8, '4': 0.2 }, 'commit-reveal');
      if (committed.kind !== 'committed') throw new Error('expected a commit');
      await s.store.update(id, ['scheduled'], {
        state: 'committed',
        attempts: 1,
        commitHash: committed.commit.hash,
        revealFromBlock: committed.commit.firstRevealBlock,
        revealUntilBlock: committed.commit.lastRevealBlock,
      });
      if (revealedBefore)
        s.chain.weights.set(0, { uids: committed.commit.uids, weights: committed.commit.weights });
      // The chain no longer holds the commit; the lib reports the failure and drops it from the store.
      s.chain.reveal = async () => {
        const [commit] = s.chain.commits;
        s.chain.commits = [];
        if (!commit) throw new Error('no commit');
        return Promise.resolve({
          revealed: [],
          waiting: [],
          expired: [],
          failed: [{ commit, error: moduleError('NoWeightsCommitFound'), dropped: true }],
        });
      };
      const job = await runToEnd(s, id);
      expect(job.state).toBe(state);
      expect(job.lastError).toMatch(revealedBefore ? /already been revealed/ : /NoWeightsCommitFound/);
    },
  );

  it('records the reveal of another job whose commit one reveal call revealed too', async () => {
    const s = setup();
    s.chain.mode = 'commit-reveal';
    s.chain.weightsRateLimit = 0;
    const first = await s.schedule({ '5Dave': 1 });
    const second = await s.schedule({ '5Eve': 1 });
    // Both commit in the same epoch, so their windows open together.
    const runFirst = s.runner.run(first);
    const runSecond = s.runner.run(second);
    const [a, b] = await Promise.all([runFirst, runSecond]);
    expect(a?.state).toBe('succeeded');
    expect(b?.state).toBe('succeeded');
    expect(s.metrics.jobs).toEqual(['succeeded', 'succeeded']);
    expect(s.chain.submissions.filter((submission) => submission.kind === 'reveal')).toHaveLength(2);
  });
});

describe('epoch and weight helpers', () => {
  it('puts the last block of an epoch where subtensor runs it', () => {
    for (const [netuid, tempo, block] of [
      [1, 60, 1_000],
      [3, 20, 45],
      [0, 99, 12_345],
    ] as const) {
      const epoch = epochAt(netuid, tempo, block);
      expect(epochLastBlock(netuid, tempo, epoch.index)).toBe(epoch.epochBlock);
    }
    expect(epochLastBlock(1, 0, 5)).toBe(Number.POSITIVE_INFINITY);
  });

  it('compares weight vectors by uid, ignoring order and zeros', () => {
    expect(sameWeights({ uids: [1, 2], weights: [5, 7] }, { uids: [2, 1, 3], weights: [7, 5, 0] })).toBe(
      true,
    );
    expect(sameWeights({ uids: [1, 2], weights: [5, 7] }, { uids: [1, 2], weights: [5, 8] })).toBe(false);
    expect(sameWeights({ uids: [1], weights: [5] }, { uids: [1, 2], weights: [5, 1] })).toBe(false);
  });
});
