import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deterministicCompletion, extractiveSummary } from '@vstack/protocol';
import { QueueName } from '@vstack/queues';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { verifyWebhookSignature } from '../src/webhooks/signature';
import { type Behaviour, FakeValidator } from './support/fake-validator';
import {
  type ApiBody,
  call,
  createKey,
  creditState,
  startGateway,
  type TestGateway,
  type TestKey,
} from './support/harness';
import { collectEvents } from './support/sse';

interface ChatChunk {
  choices: { delta: { content?: string } }[];
}

// The whole gateway flow against real Postgres and Redis, with a fake validator on the other side of the queues.
describe('gateway with a fake validator', () => {
  let gateway: TestGateway;
  let validator: FakeValidator;
  let jobs: Queue;
  let key: TestKey;
  let policy: (input: { taskType: string; request: unknown }) => Behaviour = () => ({ kind: 'complete' });

  const submit = (path: string, json: unknown, headers: Record<string, string> = {}, token = key.secret) =>
    call(gateway.url, 'POST', path, { token, json, headers });
  const getTask = (id: string, headers: Record<string, string> = {}) =>
    call(gateway.url, 'GET', `/v1/tasks/${id}`, { token: key.secret, headers });

  async function untilStatus(id: string, status: string): Promise<ApiBody | undefined> {
    let task: ApiBody | undefined;
    await vi.waitFor(
      async () => {
        task = (await getTask(id)).body;
        expect(task.status).toBe(status);
      },
      { timeout: 10_000, interval: 25 },
    );
    return task;
  }

  beforeAll(async () => {
    gateway = await startGateway();
    validator = new FakeValidator(inject('redisUrl'), gateway.prefix, (task) => policy(task));
    await validator.start();
    jobs = new Queue(QueueName.OrganicTasks, {
      connection: { url: inject('redisUrl') },
      prefix: gateway.prefix,
    });
  });

  afterAll(async () => {
    await jobs.close();
    await validator.close();
    await gateway.close();
  });

  beforeEach(async () => {
    policy = () => ({ kind: 'complete' });
    await validator.start();
    key = await createKey(gateway, { credits: 1_000 });
  });

  it('takes a task from QUEUED through PROCESSING to COMPLETED, timestamps each step and debits its price', async () => {
    policy = () => ({ kind: 'hold' });
    const accepted = await submit('/v1/arithmetic', {
      input: { operation: 'multiply', a: '123456789123456789', b: '1000' },
      priority: 'high',
    });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('location')).toBe(`/v1/tasks/${accepted.body.id}`);
    expect(accepted.body).toMatchObject({
      object: 'task',
      type: 'arithmetic',
      status: 'QUEUED',
      price_credits: 1,
    });
    const id: string = accepted.body.id;

    await validator.whenHeld(id);
    const processing = await untilStatus(id, 'PROCESSING');
    expect(processing?.processing_at).not.toBeNull();
    expect(await creditState(gateway, key.id)).toMatchObject({ balance: 999, held: 1, ledgerBalance: 999 });
    expect((await jobs.getJob(id))?.priority).toBe(2);

    validator.release(id);
    const done = await getTask(id, { prefer: 'wait=10' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      status: 'COMPLETED',
      result: { result: '123456789123456789000' },
      charged_credits: 1,
      attempts: 1,
      miner: { uid: 3 },
      error: null,
    });
    const times = ['created_at', 'queued_at', 'processing_at', 'finished_at'].map((name) =>
      Date.parse(String(done.body[name])),
    );
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(await creditState(gateway, key.id)).toEqual({
      balance: 999,
      held: 0,
      ledgerBalance: 999,
      ledgerHeld: 0,
      spent: 1,
      entries: 4,
    });
    const ledger = await call(gateway.url, 'GET', '/v1/account/ledger', { token: key.secret });
    expect(ledger.body.data.map((entry) => [entry.kind, entry.amount])).toEqual([
      ['debit', -1],
      ['release', 1],
      ['hold', -1],
      ['grant', 1_000],
    ]);
  });

  it('answers with the result when the request waits for it (Prefer: wait), else with 202', async () => {
    const text = 'The river rose. The town slept. Nobody heard the water. By morning the bridge was gone.';
    const waited = await submit(
      '/v1/tasks/summarization',
      { input: { text, sentences: 2 } },
      { prefer: 'wait=10' },
    );
    expect(waited.status).toBe(200);
    expect(waited.headers.get('preference-applied')).toBe('wait=10');
    expect(waited.body).toMatchObject({
      status: 'COMPLETED',
      result: { summary: extractiveSummary(text, 2) },
    });

    policy = () => ({ kind: 'hold' });
    const started = Date.now();
    const timedOut = await submit(
      '/v1/arithmetic',
      { input: { operation: 'add', a: '1', b: '1' } },
      { prefer: 'wait=1' },
    );
    expect(timedOut.status).toBe(202);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(['QUEUED', 'PROCESSING']).toContain(timedOut.body.status);
    validator.release(timedOut.body.id);
    await untilStatus(timedOut.body.id, 'COMPLETED');
  });

  it('streams a task’s status and progress as server-sent events and ends after the final status', async () => {
    policy = () => ({ kind: 'hold' });
    const accepted = await submit('/v1/arithmetic', { input: { operation: 'add', a: '20', b: '22' } });
    const id: string = accepted.body.id;
    await validator.whenHeld(id);
    const streaming = collectEvents(`${gateway.url}/v1/tasks/${id}/events`, {
      headers: { authorization: `Bearer ${key.secret}` },
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    validator.release(id);
    const { status, headers, events, ended } = await streaming;
    expect(status).toBe(200);
    expect(headers.get('content-type')).toContain('text/event-stream');
    expect(ended).toBe(true);
    expect(events[0]?.event).toBe('status');
    expect(JSON.parse(events[0]?.data ?? '{}').status).toBe('PROCESSING');
    const progress = events
      .filter((event) => event.event === 'progress')
      .map((event) => JSON.parse(event.data) as Record<string, unknown>);
    expect(progress).toContainEqual(expect.objectContaining({ stage: 'miner_selected', miner_uid: 3 }));
    const last = events.at(-1);
    expect(last?.event).toBe('status');
    expect(JSON.parse(last?.data ?? '{}')).toMatchObject({ status: 'COMPLETED', result: { result: '42' } });

    const finished = await collectEvents(`${gateway.url}/v1/tasks/${id}/events`, {
      headers: { authorization: `Bearer ${key.secret}` },
    });
    expect(finished.events.map((event) => event.event)).toEqual(['status']);
    expect(finished.ended).toBe(true);
  });

  it('answers OpenAI chat completions, whole and streamed', async () => {
    const request = {
      model: 'vstack-reference',
      messages: [{ role: 'user' as const, content: 'Tell me about rivers.' }],
    };
    const expected = deterministicCompletion(request);
    const whole = await submit('/v1/chat/completions', request);
    expect(whole.status).toBe(200);
    expect(whole.body).toMatchObject({
      object: 'chat.completion',
      model: 'vstack-reference',
      choices: [{ index: 0, message: { role: 'assistant', content: expected }, finish_reason: 'stop' }],
    });
    expect(whole.body.usage.total_tokens).toBeGreaterThan(0);
    expect(whole.headers.get('x-task-id')).toMatch(/^[0-9a-f-]{36}$/);

    const chunk = (content: string) =>
      JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }] });
    policy = () => ({ kind: 'complete', chunks: [chunk('Rivers '), chunk('flow.'), '[DONE]'] });
    const relayed = await collectEvents(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...request, stream: true }),
    });
    expect(relayed.status).toBe(200);
    expect(relayed.headers.get('x-task-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(relayed.events.map((event) => event.data)).toEqual([chunk('Rivers '), chunk('flow.'), '[DONE]']);

    policy = () => ({ kind: 'complete' });
    const synthesised = await collectEvents(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...request, stream: true, priority: 'urgent' }),
    });
    const data = synthesised.events.map((event) => event.data);
    expect(data.at(-1)).toBe('[DONE]');
    const content = data
      .slice(0, -1)
      .map((text) => (JSON.parse(text) as ChatChunk).choices[0]?.delta.content ?? '')
      .join('');
    expect(content).toBe(expected);

    policy = () => ({ kind: 'fail', error: 'every miner timed out' });
    const failed = await collectEvents(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...request, stream: true }),
    });
    expect(JSON.parse(failed.events[0]?.data ?? '{}').error.code).toBe('task_failed');
    expect(failed.events.at(-1)?.data).toBe('[DONE]');

    const failedWhole = await submit('/v1/chat/completions', request);
    expect(failedWhole.status).toBe(502);
    expect(failedWhole.body.error.message).toContain('every miner timed out');
  });

  it('cancels a task no validator has taken and releases its price; refuses once one has', async () => {
    await validator.stop();
    const accepted = await submit('/v1/summarization', { input: { text: 'One. Two. Three.' } });
    expect(accepted.status).toBe(202);
    const id: string = accepted.body.id;
    expect(await creditState(gateway, key.id)).toMatchObject({ balance: 995, held: 5 });

    const cancelled = await call(gateway.url, 'DELETE', `/v1/tasks/${id}`, { token: key.secret });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      status: 'CANCELLED',
      error: { code: 'cancelled' },
      charged_credits: 0,
    });
    expect(await jobs.getJobState(id)).toBe('unknown');
    expect(await creditState(gateway, key.id)).toMatchObject({
      balance: 1_000,
      held: 0,
      ledgerBalance: 1_000,
    });
    expect((await call(gateway.url, 'DELETE', `/v1/tasks/${id}`, { token: key.secret })).body.status).toBe(
      'CANCELLED',
    );

    policy = () => ({ kind: 'hold' });
    await validator.start();
    const running = await submit('/v1/arithmetic', { input: { operation: 'add', a: '1', b: '2' } });
    await validator.whenHeld(running.body.id);
    const refused = await call(gateway.url, 'DELETE', `/v1/tasks/${running.body.id}`, { token: key.secret });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('task_not_cancellable');
    validator.release(running.body.id);
    await untilStatus(running.body.id, 'COMPLETED');
    expect(validator.taken.map((task) => task.taskId)).not.toContain(id);
  });

  it('POSTs the finished task to its callback URL with an HMAC signature, retrying until it is taken', async () => {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    const server: Server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.writeHead(received.length === 1 ? 503 : 204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const callback = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/vstack?x=1`;
    try {
      const accepted = await submit('/v1/arithmetic', {
        input: { operation: 'add', a: '5', b: '6' },
        callback_url: callback,
      });
      expect(accepted.body.webhook).toEqual({ status: 'pending', attempts: 0, at: null });
      await vi.waitFor(
        () => {
          expect(received).toHaveLength(2);
        },
        { timeout: 15_000, interval: 50 },
      );
      const [first, second] = received;
      expect(first?.body).toBe(second?.body);
      const body = JSON.parse(second?.body ?? '{}');
      expect(body).toMatchObject({
        event: 'task.completed',
        task: { id: accepted.body.id, result: { result: '11' } },
      });
      expect(second?.headers['vstack-webhook-attempt']).toBe('2');
      const signature = second?.headers['vstack-signature'] as string;
      const now = Math.floor(Date.now() / 1000);
      expect(verifyWebhookSignature(key.webhookSecret, signature, second?.body ?? '', now)).toBe(true);
      expect(verifyWebhookSignature(key.webhookSecret, signature, `${second?.body ?? ''} `, now)).toBe(false);
      expect(verifyWebhookSignature('whsec_other', signature, second?.body ?? '', now)).toBe(false);
      await vi.waitFor(async () => {
        expect((await getTask(accepted.body.id)).body.webhook).toMatchObject({
          status: 'delivered',
          attempts: 2,
        });
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('gives the same task for the same Idempotency-Key and body, and 409 for another body', async () => {
    const body = { input: { operation: 'add', a: '7', b: '8' } };
    const headers = { 'idempotency-key': 'order-17' };
    const first = await submit('/v1/arithmetic', body, headers);
    // The same request with its keys in another order is the same request.
    const again = await submit('/v1/arithmetic', { input: { b: '8', operation: 'add', a: '7' } }, headers);
    expect(first.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const other = await submit('/v1/arithmetic', { input: { operation: 'add', a: '7', b: '9' } }, headers);
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_conflict');

    const racing = await Promise.all(
      Array.from({ length: 12 }, () => submit('/v1/arithmetic', body, { 'idempotency-key': 'order-18' })),
    );
    expect(new Set(racing.map((answer) => answer.body.id)).size).toBe(1);
    const { rows } = await gateway.db.query(
      `SELECT count(*)::int AS n FROM gateway_tasks WHERE api_key_id = $1 AND idempotency_key = 'order-18'`,
      [key.id],
    );
    expect(rows[0].n).toBe(1);
    await untilStatus(first.body.id, 'COMPLETED');
    await untilStatus(racing[0]?.body.id ?? '', 'COMPLETED');
    expect(await creditState(gateway, key.id)).toMatchObject({ balance: 998, spent: 2, held: 0 });
  });

  it('keeps each key’s balance equal to the sum of its ledger through 200 mixed tasks with failures', async () => {
    const rich = key;
    const poor = await createKey(gateway, { credits: 120 });
    policy = (task) => {
      const marker = JSON.stringify(task.request).length;
      return marker % 3 === 0 ? { kind: 'fail' } : { kind: 'complete', delayMs: marker % 7 };
    };
    const requests = Array.from({ length: 200 }, (_, index) => {
      const kind = index % 3;
      const path = kind === 0 ? '/v1/arithmetic' : kind === 1 ? '/v1/summarization' : '/v1/chat/completions';
      const json =
        kind === 0
          ? { input: { operation: 'add', a: String(index), b: String(index * 31) } }
          : kind === 1
            ? { input: { text: `Report ${index}. The harbour was quiet. Ships came in at ${index}.` } }
            : { model: 'm', messages: [{ role: 'user', content: `question ${index}` }] };
      return { path, json, token: index % 2 === 0 ? rich.secret : poor.secret };
    });
    const answers: number[] = [];
    for (let start = 0; start < requests.length; start += 25) {
      const batch = requests.slice(start, start + 25);
      answers.push(
        ...(
          await Promise.all(batch.map((request) => submit(request.path, request.json, {}, request.token)))
        ).map((answer) => answer.status),
      );
    }
    expect(answers.filter((status) => ![200, 202, 402, 502].includes(status))).toEqual([]);
    expect(answers.filter((status) => status === 402).length).toBeGreaterThan(0);
    await vi.waitFor(
      async () => {
        const { rows } = await gateway.db.query(
          `SELECT count(*)::int AS n FROM gateway_tasks WHERE status IN ('PENDING', 'QUEUED', 'PROCESSING')`,
        );
        expect(rows[0].n).toBe(0);
      },
      { timeout: 30_000, interval: 100 },
    );
    for (const [account, initial] of [
      [rich, 1_000],
      [poor, 120],
    ] as const) {
      const state = await creditState(gateway, account.id);
      expect(state.balance).toBe(state.ledgerBalance);
      expect(state.held).toBe(0);
      expect(state.ledgerHeld).toBe(0);
      const { rows } = await gateway.db.query(
        `SELECT COALESCE(sum(price_credits) FILTER (WHERE status = 'COMPLETED'), 0)::int AS spent,
                count(*) FILTER (WHERE status = 'FAILED')::int AS failed
         FROM gateway_tasks WHERE api_key_id = $1`,
        [account.id],
      );
      expect(state.spent).toBe(rows[0].spent);
      expect(state.balance).toBe(initial - rows[0].spent);
      expect(rows[0].failed).toBeGreaterThan(0);
    }
    // Every task moved its price exactly once each way, and only completed tasks were charged.
    const { rows: movements } = await gateway.db.query(
      `SELECT t.status, count(*) FILTER (WHERE l.kind = 'hold')::int AS holds,
              count(*) FILTER (WHERE l.kind = 'release')::int AS releases,
              count(*) FILTER (WHERE l.kind = 'debit')::int AS debits
       FROM gateway_tasks t JOIN gateway_credit_ledger l ON l.task_id = t.id
       WHERE t.api_key_id IN ($1, $2) GROUP BY t.id, t.status`,
      [rich.id, poor.id],
    );
    for (const row of movements) {
      expect([row.holds, row.releases, row.debits]).toEqual([1, 1, row.status === 'COMPLETED' ? 1 : 0]);
    }
  }, 60_000);
});
