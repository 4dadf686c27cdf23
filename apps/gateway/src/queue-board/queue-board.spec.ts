import { QueueName } from '@vstack/queues';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ADMIN_TOKEN, startGateway, type TestGateway } from '../../test/support/harness';

const board = '/admin/queues';
const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

async function get(gateway: TestGateway, path: string, authorization?: string) {
  return fetch(`${gateway.url}${path}`, { headers: authorization ? { authorization } : {} });
}

interface BoardQueue {
  name: QueueName;
  readOnlyMode: boolean;
  counts: Record<string, number>;
}

describe('the queue board', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startGateway({ env: { LOG_LEVEL: 'info' } });
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('refuses requests without the admin token or with a wrong one, asking the browser for it', async () => {
    for (const authorization of [undefined, 'Bearer not-the-token', basic('not-the-token'), ADMIN_TOKEN]) {
      for (const path of [board, `${board}/api/queues`, `${board}/static/favicon-32x32.png`]) {
        const response = await get(gateway, path, authorization);
        expect(response.status, `${path} with ${authorization ?? 'nothing'}`).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Basic realm="vstack queues", charset="UTF-8"');
        const body = (await response.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('admin_unauthorized');
        expect(body.error.message).toBe(
          authorization === undefined
            ? 'the queue board needs the admin token: Authorization: Bearer <GATEWAY_ADMIN_TOKEN>, or the token as the Basic password'
            : 'the admin token is wrong',
        );
      }
    }
  });

  it('serves the page, its assets and an API listing every queue with its counts, and changes nothing', async () => {
    const queue = new Queue(QueueName.SyntheticTasks, {
      connection: { url: inject('redisUrl') },
      prefix: gateway.prefix,
    });
    try {
      await queue.add('synthetic.task', { probe: true }, { jobId: 'board-probe-1' });
      await queue.add('synthetic.task', { probe: true }, { jobId: 'board-probe-2', delay: 600_000 });
    } finally {
      await queue.close();
    }

    const page = await get(gateway, board, basic(ADMIN_TOKEN));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('vstack queues');
    // The page names its assets relative to its <base>, which must be the board's own path.
    const base = /<base href="([^"]+)"/.exec(html)?.[1];
    expect(base).toBe(`${board}/`);
    const assets = [...html.matchAll(/(?:src|href)="((?:[^"]*\/)?static\/[^"]+)"/g)].map(
      (match) => new URL(match[1] ?? '', `${gateway.url}${base ?? ''}`).pathname,
    );
    expect(assets.some((asset) => asset.endsWith('.js'))).toBe(true);
    expect(assets.some((asset) => asset.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      expect(asset.startsWith(`${board}/static/`), asset).toBe(true);
      const response = await get(gateway, asset, basic(ADMIN_TOKEN));
      expect(response.status, asset).toBe(200);
      expect((await response.arrayBuffer()).byteLength, asset).toBeGreaterThan(0);
    }

    const api = await get(gateway, `${board}/api/queues?jobsPerPage=10&page=1`, `Bearer ${ADMIN_TOKEN}`);
    expect(api.status).toBe(200);
    const { queues } = (await api.json()) as { queues: BoardQueue[] };
    expect(queues.map((entry) => entry.name).sort()).toEqual(Object.values(QueueName).sort());
    const synthetic = queues.find((entry) => entry.name === QueueName.SyntheticTasks);
    expect(synthetic?.counts).toMatchObject({ waiting: 1, delayed: 1, active: 0, failed: 0 });
    expect(queues.every((entry) => entry.readOnlyMode)).toBe(true);
    const organic = queues.find((entry) => entry.name === QueueName.OrganicTasks);
    expect(organic?.counts).toMatchObject({ waiting: 0, delayed: 0 });

    // Read-only: jobs cannot be added, cleaned or retried from the board.
    const add = await fetch(`${gateway.url}${board}/api/queues/${QueueName.SyntheticTasks}/add`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'synthetic.task', data: {}, options: {} }),
    });
    expect(add.status).toBe(405);
    const again = (await (await get(gateway, `${board}/api/queues`, `Bearer ${ADMIN_TOKEN}`)).json()) as {
      queues: BoardQueue[];
    };
    expect(again.queues.find((entry) => entry.name === QueueName.SyntheticTasks)?.counts['waiting']).toBe(1);

    // The token never reaches the logs, in either form.
    expect(gateway.logs()).toContain('/admin/queues');
    expect(gateway.logs()).not.toContain(ADMIN_TOKEN);
    expect(gateway.logs()).not.toContain(basic(ADMIN_TOKEN).slice('Basic '.length));
  });
});

describe('the queue board without an admin token', () => {
  it('is not there', async () => {
    const gateway = await startGateway({ env: { GATEWAY_ADMIN_TOKEN: '' } });
    try {
      expect((await get(gateway, board, `Bearer ${ADMIN_TOKEN}`)).status).toBe(404);
      expect((await get(gateway, `${board}/api/queues`)).status).toBe(404);
    } finally {
      await gateway.close();
    }
  });
});
