import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { deleteRedisKeysWithPrefix, uniqueTestName } from '@vstack/testing';
import { Queue } from 'bullmq';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { defaultStalledJobSettings } from './connection';
import { JobHandlerRegistry } from './handlers';
import { JobName, QueueName } from './jobs';
import { JobProducer } from './producer';
import './test-support';
import { JobWorker } from './worker';

const workspaceRoot = join(import.meta.dirname, '../../..');
const redisUrl = inject('redisUrl');
const prefix = uniqueTestName('queues stalled jobs');
// Inside the workspace so the bundle's bare imports (bullmq, ioredis, zod) resolve from node_modules.
const bundleDir = join(workspaceRoot, 'tmp', 'queues-fixtures', prefix);
const heldJobs = 4;
const children: ChildProcess[] = [];
const closers: (() => Promise<void>)[] = [];

interface ChildEvent {
  event: string;
  jobId?: string;
}

/** Starts the holding worker in its own process and collects the events it prints. */
function spawnHoldingWorker(
  bundle: string,
  concurrency: number,
): { child: ChildProcess; events: ChildEvent[] } {
  const child = spawn(process.execPath, [bundle, redisUrl, prefix, String(concurrency)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  const events: ChildEvent[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    events.push(JSON.parse(line) as ChildEvent);
  });
  return { child, events };
}

beforeAll(async () => {
  await mkdir(bundleDir, { recursive: true });
  await build({
    entryPoints: [join(import.meta.dirname, 'fixtures/holding-worker.ts')],
    outfile: join(bundleDir, 'holding-worker.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    tsconfig: join(workspaceRoot, 'tsconfig.base.json'),
    logLevel: 'warning',
  });
});

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  for (const close of closers.splice(0).reverse()) await close();
  await deleteRedisKeysWithPrefix(redisUrl, prefix);
  await rm(bundleDir, { recursive: true, force: true });
  // Shared with concurrent runs; removed only once empty.
  await rmdir(dirname(bundleDir)).catch(() => undefined);
});

describe('a killed worker', () => {
  it('loses no job: another worker resumes every job it held within 5 s of the kill', async () => {
    const producer = new JobProducer({ redisUrl, prefix });
    const queue = new Queue(QueueName.SyntheticTasks, { connection: { url: redisUrl }, prefix });
    closers.push(
      () => producer.close(),
      () => queue.close(),
    );

    // More jobs than the child can hold, so some are still waiting when it dies.
    const jobIds = Array.from({ length: heldJobs + 2 }, (_, i) => `challenge-${i}`);
    for (const jobId of jobIds) {
      await producer.add(
        JobName.SyntheticTask,
        { taskId: jobId, taskType: 'text', request: { prompt: jobId }, createdAt: new Date().toISOString() },
        { jobId },
      );
    }

    const { child, events } = spawnHoldingWorker(join(bundleDir, 'holding-worker.mjs'), heldJobs);
    await vi.waitFor(
      async () => {
        expect(events.filter((e) => e.event === 'started')).toHaveLength(heldJobs);
        expect(await queue.getActiveCount()).toBe(heldJobs);
      },
      { timeout: 10_000, interval: 50 },
    );
    const held = events.flatMap((e) => (e.event === 'started' && e.jobId ? [e.jobId] : []));

    // The surviving worker is already running when the other one dies, as another replica would be.
    const resumedAt = new Map<string, number>();
    const survivor = new JobWorker({
      queue: QueueName.SyntheticTasks,
      handlers: new JobHandlerRegistry().register(JobName.SyntheticTask, (_payload, job) => {
        resumedAt.set(job.id, Date.now());
      }),
      connection: { redisUrl, prefix },
      concurrency: jobIds.length,
      logger: { warn: () => undefined, error: () => undefined },
    });
    closers.push(() => survivor.close());
    await survivor.start();
    await vi.waitFor(() => {
      expect(resumedAt.size).toBe(jobIds.length - heldJobs);
    });
    expect(held.some((jobId) => resumedAt.has(jobId))).toBe(false);

    const exited = new Promise((resolve) => child.once('exit', resolve));
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await exited;

    await vi.waitFor(
      async () => {
        expect(await queue.getCompletedCount()).toBe(jobIds.length);
      },
      { timeout: 10_000, interval: 50 },
    );
    const resumeDelays = held.map((jobId) => (resumedAt.get(jobId) ?? Infinity) - killedAt);
    console.info(
      `killed worker's jobs resumed after ${resumeDelays.join(', ')} ms ` +
        `(lock ${defaultStalledJobSettings.lockDurationMs} ms, stalled check ${defaultStalledJobSettings.stalledIntervalMs} ms)`,
    );
    expect(Math.max(...resumeDelays)).toBeLessThan(5_000);
    expect(await queue.getFailedCount()).toBe(0);
    for (const jobId of held) {
      const job = await queue.getJob(jobId);
      expect(job?.finishedOn, jobId).toBeGreaterThan(killedAt);
      expect(job?.stalledCounter, jobId).toBe(1);
    }
  });
});
