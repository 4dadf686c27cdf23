import type { SidecarConfig } from '@vstack/config';
import type { Logger } from '@vstack/observability';
import { describe, expect, it } from 'vitest';
import { IdentitiesService } from '../auth/identities.service';
import type { ChainService } from '../chain/chain.service';
import type { WeightsJobRecord } from './weights-job.entity';
import type { WeightsJobRunner } from './weights-job.runner';
import { ALICE, FakeStore, FakeTimers, RecordingMetrics } from './weights.fakes';
import type { QueuedState, WeightsQueue } from './weights.queue';
import { WeightsService } from './weights.service';

// The queue side of the service: jobs from scoring, re-delivery, and resuming after a restart.

const silent = { info: () => undefined, warn: () => undefined } as unknown as Logger;

class FakeQueue implements WeightsQueue {
  readonly queued: string[] = [];
  readonly ensured: string[] = [];

  enqueue(job: WeightsJobRecord): Promise<void> {
    this.queued.push(job.id);
    return Promise.resolve();
  }

  ensureQueued(job: WeightsJobRecord): Promise<QueuedState> {
    this.ensured.push(job.id);
    return Promise.resolve(job.state === 'committed' ? 'added-again' : 'present');
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function setup() {
  const timers = new FakeTimers();
  const store = new FakeStore(timers);
  const queue = new FakeQueue();
  const metrics = new RecordingMetrics();
  const runs: string[] = [];
  const runner = {
    run: (id: string) => {
      runs.push(id);
      return store.get(id);
    },
  } as unknown as WeightsJobRunner;
  const identity = (name: string, netuid: number) => ({
    name,
    netuid,
    token: `${name}-token-0123456789`,
    hotkey: ALICE,
  });
  const identities = new IdentitiesService(
    [identity('alice', 1), identity('bob', 2), identity('carol', 2)],
    undefined,
  );
  const service = new WeightsService(
    {} as ChainService,
    identities,
    store,
    queue,
    runner,
    metrics,
    {} as SidecarConfig,
    silent,
  );
  return { timers, store, queue, metrics, runs, service };
}

describe('WeightsService: jobs from the weights queue', () => {
  it('stores a scoring job for the first identity acting on its netuid, then runs it', async () => {
    const s = setup();
    await s.service.process({ netuid: 2, epoch: 7, weights: { '5Dave': 0.5, '5Eve': 0 } }, 'scoring-2-7');
    expect(await s.store.get('scoring-2-7')).toMatchObject({
      identity: 'bob',
      netuid: 2,
      epoch: 7,
      source: 'queue',
      state: 'scheduled',
      count: 1,
    });
    expect(s.runs).toEqual(['scoring-2-7']);
  });

  it('takes the identity the job names', async () => {
    const s = setup();
    await s.service.process({ netuid: 2, epoch: 7, weights: { '5Dave': 1 }, identity: 'carol' }, 'for-carol');
    expect((await s.store.get('for-carol'))?.identity).toBe('carol');
  });

  it('records a job for an unknown identity as failed, with the reason, and does not run it', async () => {
    const s = setup();
    await s.service.process(
      { netuid: 1, epoch: 7, weights: { '5Dave': 1 }, identity: 'mallory' },
      'for-mallory',
    );
    expect(await s.store.get('for-mallory')).toMatchObject({
      state: 'failed',
      identity: 'mallory',
      lastError: 'no identity named "mallory" is configured',
    });
    await s.service.process({ netuid: 9, epoch: 7, weights: { '5Dave': 1 } }, 'for-nobody');
    expect(await s.store.get('for-nobody')).toMatchObject({
      state: 'failed',
      identity: '',
      lastError: 'no identity acts on subnet 9, and the job names none',
    });
    expect(s.runs).toEqual([]);
    expect(s.metrics.jobs).toEqual(['failed', 'failed']);
  });

  it('runs a re-delivered job from its stored record, without storing it again or cancelling anything', async () => {
    const s = setup();
    const payload = { netuid: 1, epoch: 7, weights: { '5Dave': 1 } };
    await s.service.process(payload, 'scoring-1-7');
    s.timers.ms += 1_000;
    await s.service.process({ ...payload, weights: { '5Eve': 1 } }, 'scoring-1-7');
    expect((await s.store.get('scoring-1-7'))?.weights).toEqual({ '5Dave': 1 });
    expect(s.runs).toEqual(['scoring-1-7', 'scoring-1-7']);
    expect(s.metrics.jobs).toEqual([]);
  });

  it("cancels the identity's older jobs on the subnet that have not reached the chain", async () => {
    const s = setup();
    await s.service.process({ netuid: 1, epoch: 7, weights: { '5Dave': 1 } }, 'epoch-7');
    await s.store.update('epoch-7', ['scheduled'], { state: 'submitting' });
    s.timers.ms += 1_000;
    await s.service.process({ netuid: 1, epoch: 8, weights: { '5Dave': 1 } }, 'epoch-8');
    expect(await s.store.get('epoch-7')).toMatchObject({
      state: 'cancelled',
      lastError: 'cancelled: superseded by job epoch-8',
    });
    expect(s.metrics.jobs).toEqual(['cancelled']);
  });
});

describe('WeightsService: resume', () => {
  it('makes sure every unfinished job has a queued job, and leaves finished ones alone', async () => {
    const s = setup();
    for (const id of ['done', 'waiting', 'committed']) {
      await s.store.create({
        id,
        identity: 'alice',
        netuid: 1,
        epoch: 7,
        source: 'api',
        weights: {},
        count: 0,
      });
    }
    await s.store.update('done', ['scheduled'], { state: 'succeeded' });
    await s.store.update('committed', ['scheduled'], { state: 'committed' });
    await s.service.resume();
    expect(s.queue.ensured.sort()).toEqual(['committed', 'waiting']);
  });
});
