import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { ConfigError, demoMinerConfigSchema, parseConfig } from '@vstack/config';
import { createLogger } from '@vstack/observability';
import {
  type BuiltInTaskType,
  computeReference,
  DeterministicReferenceModel,
  mulberry32,
  TaskTypeName,
  taskTypes,
} from '@vstack/protocol';
import { createServiceApp, type ServiceHandle } from '@vstack/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoMinerModule } from './demo-miner.module';

interface RunningMiner {
  handle: ServiceHandle;
  url: string;
}

async function start(env: Record<string, string>): Promise<RunningMiner> {
  const config = parseConfig('demo-miner', demoMinerConfigSchema, { PORT: '1', ...env });
  const logger = createLogger({
    service: 'demo-miner',
    level: 'info',
    format: 'json',
    destination: new PassThrough(),
  });
  const handle = await createServiceApp(
    {
      service: 'demo-miner',
      schema: demoMinerConfigSchema,
      module: (parsed) => DemoMinerModule.forRoot(parsed),
    },
    config,
    logger,
  );
  await handle.app.listen(0, '127.0.0.1');
  const address = (handle.app.getHttpServer() as Server).address() as AddressInfo;
  return { handle, url: `http://127.0.0.1:${address.port}` };
}

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** The status, content type and bytes of an answer, read without assuming it is JSON. */
async function postRaw(
  url: string,
  body: unknown,
): Promise<{ status: number; contentType: string | null; bytes: Buffer }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

const context = { referenceModel: new DeterministicReferenceModel() };

/** Why a validator cannot take an answer's bytes, or 'answer' when it can. */
async function refusalOf(
  taskType: BuiltInTaskType,
  request: unknown,
  bytes: Buffer,
): Promise<'not JSON' | 'truncated' | 'wrong shape' | 'answer'> {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    const reference = Buffer.from(JSON.stringify(await computeReference(taskType, request, context)));
    return reference.subarray(0, bytes.length).equals(bytes) ? 'truncated' : 'not JSON';
  }
  return taskType.responseSchema.safeParse(json).success ? 'answer' : 'wrong shape';
}

describe('the demo miner over HTTP', () => {
  let miner: RunningMiner;

  beforeAll(async () => {
    miner = await start({ DEMO_MINER_SEED: '1', DEMO_MINER_GARBAGE_RATE: '0' });
  });
  afterAll(async () => {
    await miner.handle.close();
  });

  it('answers every built-in task type at /tasks/{taskType} with the reference answer', async () => {
    const challenges = mulberry32(3);
    for (const taskType of taskTypes.all()) {
      const request = taskType.generate(challenges);
      const answer = await post(`${miner.url}/tasks/${taskType.name}`, request);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(await computeReference(taskType, request, context));
    }
  });

  it('answers /inference by the X-Task-Type header or the task_type field', async () => {
    const byHeader = await post(
      `${miner.url}/inference`,
      { operation: 'add', a: '99999999999999999999', b: '1' },
      { 'x-task-type': TaskTypeName.Arithmetic },
    );
    expect(byHeader).toEqual({ status: 200, body: { result: '100000000000000000000' } });
    const text = 'The river rose. The town waited. Nobody slept that night.';
    const byField = await post(`${miner.url}/inference`, {
      task_type: TaskTypeName.Summarization,
      text,
      sentences: 1,
    });
    expect(byField.status).toBe(200);
    expect(byField.body).toEqual(
      await computeReference(taskTypes.get(TaskTypeName.Summarization), { text, sentences: 1 }, context),
    );
  });

  it('answers unknown task types with a JSON 404', async () => {
    const byPath = await post(`${miner.url}/tasks/translation`, { text: 'hello' });
    expect(byPath.status).toBe(404);
    expect(byPath.body).toEqual({
      error: {
        code: 'demo_miner_unknown_task_type',
        message: 'unknown task type "translation"; served: arithmetic, summarization, text-generation',
      },
    });
    const byField = await post(`${miner.url}/inference`, { task_type: 'translation' });
    expect(byField.status).toBe(404);
    expect(byField.body).toMatchObject({ error: { code: 'demo_miner_unknown_task_type' } });
  });

  it('answers bad bodies with a JSON 400 naming the fields', async () => {
    const invalid = await post(`${miner.url}/tasks/arithmetic`, { operation: 'divide', a: '1' });
    expect(invalid.status).toBe(400);
    const error = (invalid.body as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain('operation:');
    expect(error.message).toContain('b:');
    const malformed = await post(`${miner.url}/tasks/arithmetic`, '{"operation":');
    expect(malformed).toMatchObject({ status: 400, body: { error: { code: 'malformed_json' } } });
    const untyped = await post(`${miner.url}/inference`, { operation: 'add', a: '1', b: '2' });
    expect(untyped).toMatchObject({ status: 400, body: { error: { code: 'demo_miner_missing_task_type' } } });
  });

  it('still serves health', async () => {
    expect((await fetch(`${miner.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${miner.url}/health/ready`)).status).toBe(200);
  });
});

describe('a demo miner configured to misbehave', () => {
  let failing: RunningMiner;
  let wrong: RunningMiner;
  let garbage: RunningMiner;

  beforeAll(async () => {
    failing = await start({ DEMO_MINER_FAILURE_RATE: '1', DEMO_MINER_GARBAGE_RATE: '1' });
    wrong = await start({ DEMO_MINER_ERROR_RATE: '1', DEMO_MINER_SEED: '2' });
    garbage = await start({ DEMO_MINER_GARBAGE_RATE: '1', DEMO_MINER_ERROR_RATE: '1', DEMO_MINER_SEED: '3' });
  });
  afterAll(async () => {
    await failing.handle.close();
    await wrong.handle.close();
    await garbage.handle.close();
  });

  it('answers with a JSON 500 at failure rate 1, before any garbage', async () => {
    const answer = await post(`${failing.url}/tasks/arithmetic`, { operation: 'add', a: '1', b: '2' });
    expect(answer).toEqual({
      status: 500,
      body: {
        error: {
          code: 'demo_miner_injected_failure',
          message: 'failed on purpose (DEMO_MINER_FAILURE_RATE)',
        },
      },
    });
  });

  it('answers wrongly at error rate 1', async () => {
    const answer = await post(`${wrong.url}/tasks/arithmetic`, { operation: 'add', a: '1', b: '2' });
    expect(answer.status).toBe(200);
    expect(['2', '4']).toContain((answer.body as { result: string }).result);
  });

  it('answers 200 with JSON content type but no valid answer, of every kind, at garbage rate 1', async () => {
    const challenges = mulberry32(4);
    const refusals = new Set<string>();
    for (const taskType of taskTypes.all()) {
      for (let i = 0; i < 12; i += 1) {
        const request = taskType.generate(challenges);
        const answer = await postRaw(`${garbage.url}/tasks/${taskType.name}`, request);
        expect(answer.status).toBe(200);
        expect(answer.contentType).toMatch(/^application\/json/);
        refusals.add(await refusalOf(taskType, request, answer.bytes));
      }
    }
    expect([...refusals].sort()).toEqual(['not JSON', 'truncated', 'wrong shape']);
    const request = { operation: 'add', a: '1', b: '2' };
    for (let i = 0; i < 6; i += 1) {
      const inference = await postRaw(`${garbage.url}/inference`, {
        task_type: TaskTypeName.Arithmetic,
        ...request,
      });
      expect(inference.status).toBe(200);
      expect(await refusalOf(taskTypes.get(TaskTypeName.Arithmetic), request, inference.bytes)).not.toBe(
        'answer',
      );
    }
  });

  it('refuses to start with a garbage rate that is not a number from 0 to 1', async () => {
    for (const rate of ['1.5', '-0.1', 'x', '50%']) {
      const error = await start({ DEMO_MINER_GARBAGE_RATE: rate }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain(
        'DEMO_MINER_GARBAGE_RATE: must be a number from 0 to 1',
      );
    }
  });
});
