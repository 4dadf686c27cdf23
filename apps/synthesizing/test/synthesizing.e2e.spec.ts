import { randomUUID } from 'node:crypto';
import { createRpcClient, type RpcClient } from '@vstack/contracts';
import { QueueName, type SyntheticTaskPayload } from '@vstack/queues';
import {
  buildApp,
  createTestSchema,
  deleteRedisKeysWithPrefix,
  type RunningApp,
  startApp,
  type TestSchema,
  uniqueTestName,
} from '@vstack/testing';
import { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// The built synthesizing process against real Redis and Postgres: it fills the synthetic queue up to its depth
// limit and stops there, stores the organic samples the validator publishes, and replays them.
describe('synthesizing end to end', () => {
  const redisUrl = inject('redisUrl');
  const databaseUrl = inject('databaseUrl');
  const prefix = uniqueTestName('synthesizing_e2e');
  const metricsToken = 'synthesizing-e2e-metrics-token';
  let schema: TestSchema;
  let app: RunningApp;
  let queue: Queue;
  let rpc: RpcClient;
  let db: pg.Client;

  const waiting = async () => (await queue.getJobCounts('wait')).wait ?? 0;

  beforeAll(async () => {
    buildApp('synthesizing');
    schema = await createTestSchema(databaseUrl, 'synthesizing_e2e');
    app = await startApp('synthesizing', {
      env: {
        REDIS_URL: redisUrl,
        REDIS_PREFIX: prefix,
        DATABASE_URL: databaseUrl,
        DATABASE_SCHEMA: schema.schema,
        DATABASE_MIGRATE_ON_START: 'true',
        METRICS_TOKEN: metricsToken,
        SYNTHESIZING_TASKS_PER_MINUTE: 'arithmetic=1200',
        SYNTHESIZING_MAX_QUEUE_DEPTH: '5',
        SYNTHESIZING_TICK_MS: '100',
        SYNTHESIZING_REPLAY_SHARE: '1',
      },
    });
    queue = new Queue(QueueName.SyntheticTasks, { connection: { url: redisUrl }, prefix });
    rpc = createRpcClient({ redisUrl, prefix });
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
  }, 120_000);

  afterAll(async () => {
    await app.stop();
    await rpc.close();
    await queue.close();
    await db.end();
    await schema.drop();
    await deleteRedisKeysWithPrefix(redisUrl, `${prefix}:`);
  });

  it('fills the synthetic queue up to its maximum depth and holds it there', async () => {
    await until(waiting, (count) => count >= 5);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await waiting()).toBe(5);
    const jobs = await queue.getJobs(['wait']);
    for (const job of jobs) {
      const task = job.data as SyntheticTaskPayload;
      expect(job.name).toBe('synthetic.task');
      expect(job.id).toBe(task.taskId);
      expect(task.taskType).toBe('arithmetic');
    }
  });

  it('stores a sampled organic request and replays it once as a synthetic task', async () => {
    const request = { operation: 'multiply', a: '123456789', b: '987654321' };
    const sampleId = randomUUID();
    const event = { sampleId, taskType: 'arithmetic', request, sampledAt: new Date().toISOString() };
    await rpc.emit('organic.sampled', event);
    await rpc.emit('organic.sampled', event);
    const table = `${pg.escapeIdentifier(schema.schema)}."organic_sample"`;
    await until(
      async () => (await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n,
      (count) => count === '1',
    );

    await queue.drain(); // the validator takes the waiting tasks
    const replayed = await until(
      async () => (await queue.getJobs(['wait'])).map((job) => job.data as SyntheticTaskPayload),
      (tasks) => tasks.length >= 5,
    );
    expect(replayed.filter((task) => JSON.stringify(task.request) === JSON.stringify(request))).toHaveLength(
      1,
    );
    expect((await db.query(`SELECT * FROM ${table}`)).rows).toEqual([]);

    const metrics = await fetch(`http://127.0.0.1:${app.port}/metrics`, {
      headers: { authorization: `Bearer ${metricsToken}` },
    });
    const text = await metrics.text();
    expect(text).toContain('vstack_synthesizing_tasks_total{task_type="arithmetic",source="replayed"} 1');
    expect(text).toMatch(/vstack_synthesizing_backpressure_total [1-9]/);
    expect(text).toContain('vstack_synthesizing_samples_total{task_type="arithmetic",outcome="stored"} 1');
  });
});
