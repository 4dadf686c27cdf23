import { randomUUID } from 'node:crypto';
import { QueueName } from '@vstack/queues';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TASK_QUEUE, TASK_STORE } from '../src/ports';
import { MaintenanceService } from '../src/tasks/maintenance.service';
import { QueueWorkers } from '../src/tasks/queue-workers';
import type { TaskQueue } from '../src/tasks/task-queue';
import type { TaskStore } from '../src/tasks/task-store';
import { FakeValidator } from './support/fake-validator';
import { call, createKey, creditState, startGateway, type TestGateway } from './support/harness';

describe('gateway maintenance', () => {
  let gateway: TestGateway;
  let jobs: Queue;
  let offsetMs = 0;
  const clock = { now: () => Date.now() + offsetMs };

  beforeAll(async () => {
    gateway = await startGateway({
      env: { GATEWAY_TASK_DEADLINE_SECONDS: '120', GATEWAY_TASK_RETENTION_HOURS: '1' },
      overrides: { clock },
    });
    jobs = new Queue(QueueName.OrganicTasks, {
      connection: { url: inject('redisUrl') },
      prefix: gateway.prefix,
    });
  });

  afterAll(async () => {
    await jobs.close();
    await gateway.close();
  });

  const sweep = () => gateway.handle.app.get(MaintenanceService).sweep();

  it('fails tasks past their deadline, releasing their price, and prunes finished tasks after retention', async () => {
    const key = await createKey(gateway, { credits: 100 });
    const accepted = await call(gateway.url, 'POST', '/v1/summarization', {
      token: key.secret,
      json: { input: { text: 'Nobody came.' } },
    });
    expect(accepted.status).toBe(202);
    expect(await sweep()).toEqual({ expired: 0, queued: 0, discarded: 0, pruned: 0 });

    offsetMs += 121_000;
    expect(await sweep()).toMatchObject({ expired: 1 });
    const failed = await call(gateway.url, 'GET', `/v1/tasks/${accepted.body.id}`, { token: key.secret });
    expect(failed.body).toMatchObject({
      status: 'FAILED',
      error: { code: 'deadline_exceeded' },
      charged_credits: 0,
    });
    expect(await jobs.getJobState(accepted.body.id)).toBe('unknown');
    expect(await creditState(gateway, key.id)).toMatchObject({ balance: 100, held: 0, ledgerBalance: 100 });

    offsetMs += 3_600_000;
    expect((await sweep()).pruned).toBeGreaterThanOrEqual(1);
    const pruned = await call(gateway.url, 'GET', `/v1/tasks/${accepted.body.id}`, { token: key.secret });
    expect(pruned.status).toBe(404);
    // The ledger outlives the task.
    expect(await creditState(gateway, key.id)).toMatchObject({
      balance: 100,
      ledgerBalance: 100,
      entries: 3,
    });
  });

  it('puts right submissions interrupted between the record and the queue', async () => {
    const key = await createKey(gateway, { credits: 100 });
    const store = gateway.handle.app.get<TaskStore>(TASK_STORE);
    const queue = gateway.handle.app.get<TaskQueue>(TASK_QUEUE);
    const pending = (id: string) => ({
      id,
      apiKeyId: key.id,
      taskType: 'arithmetic',
      priority: 'normal' as const,
      input: { operation: 'add', a: '1', b: '1' },
      priceCredits: 1,
      callbackUrl: null,
      idempotencyKey: null,
      requestHash: id,
      createdAt: new Date(clock.now()),
    });
    // One whose job never reached the queue (its client got a 503), one whose QUEUED mark was lost.
    const lost = randomUUID();
    const queued = randomUUID();
    expect(await store.insertPending([pending(lost), pending(queued)])).toEqual([
      { kind: 'inserted' },
      { kind: 'inserted' },
    ]);
    await queue.enqueue({
      taskId: queued,
      taskType: 'arithmetic',
      request: { operation: 'add', a: '1', b: '1' },
      priority: 'normal',
      submittedAt: new Date().toISOString(),
    });
    expect(await creditState(gateway, key.id)).toMatchObject({ balance: 98, held: 2 });
    expect(await sweep()).toMatchObject({ queued: 0, discarded: 0 });

    offsetMs += 61_000;
    expect(await sweep()).toMatchObject({ queued: 1, discarded: 1 });
    expect(await store.getTask(lost)).toBeUndefined();
    expect((await store.getTask(queued))?.status).toBe('QUEUED');
    expect(await creditState(gateway, key.id)).toMatchObject({
      balance: 99,
      held: 1,
      ledgerBalance: 99,
      entries: 2,
    });
  });

  it('refuses to delete a key that has tasks or ledger rows, and deletes one that has none', async () => {
    const used = await createKey(gateway, { credits: 5 });
    const unused = await createKey(gateway, { credits: 0 });
    const accepted = await call(gateway.url, 'POST', '/v1/arithmetic', {
      token: used.secret,
      json: { input: { operation: 'add', a: '1', b: '2' } },
    });
    expect(accepted.status).toBe(202);
    await expect(
      gateway.db.query('DELETE FROM gateway_api_keys WHERE id = $1', [used.id]),
    ).rejects.toMatchObject({
      code: '23503',
      message: expect.stringContaining('revoke it instead') as unknown,
    });
    const { rowCount } = await gateway.db.query('DELETE FROM gateway_api_keys WHERE id = $1', [unused.id]);
    expect(rowCount).toBe(1);
    expect(await creditState(gateway, used.id)).toMatchObject({ balance: 5 - 1, held: 1, ledgerBalance: 4 });
  });
});

describe('two gateway replicas', () => {
  it('wakes a request waiting on one replica when the other settles the result', async () => {
    const first = await startGateway();
    const second = await startGateway({ schema: first.schema, prefix: first.prefix });
    const validator = new FakeValidator(inject('redisUrl'), first.prefix);
    try {
      // Only the second replica takes results, so the first hears of them over Redis.
      await first.handle.app.get(QueueWorkers).onModuleDestroy();
      await validator.start();
      const key = await createKey(first, { credits: 10 });
      const started = Date.now();
      const answer = await call(first.url, 'POST', '/v1/arithmetic', {
        token: key.secret,
        json: { input: { operation: 'add', a: '40', b: '2' } },
        headers: { prefer: 'wait=20' },
      });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: 'COMPLETED', result: { result: '42' } });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await validator.close();
      await second.close({ drop: false });
      await first.close();
    }
  });
});
