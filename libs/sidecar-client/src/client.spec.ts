import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_TIMEOUT_MS, SidecarApiErrorCode } from './api';
import { SidecarClient, type SidecarClientOptions, type SidecarWarning } from './client';
import {
  SidecarBadRequestError,
  SidecarClientError,
  SidecarClientErrorCode,
  SidecarForbiddenError,
  SidecarNetworkError,
  SidecarNotFoundError,
  SidecarResponseError,
  SidecarTimeoutError,
  SidecarUnauthorizedError,
  SidecarUnavailableError,
} from './errors';
import {
  blockHash,
  FAKE_IDENTITY,
  FAKE_NETUID,
  FAKE_TOKEN,
  type FakeSidecar,
  fail,
  HEAD,
  hotkeys,
  neuronsAt,
  stall,
  startFakeSidecar,
  weightsJob,
} from './fake-sidecar';

let fake: FakeSidecar;
let sleeps: number[];

beforeEach(async () => {
  fake = await startFakeSidecar();
  sleeps = [];
});

afterEach(async () => {
  await fake.close();
});

function client(options: Partial<SidecarClientOptions> = {}): SidecarClient {
  return new SidecarClient({
    baseUrl: fake.url,
    token: FAKE_TOKEN,
    timeoutMs: 2_000,
    retries: { attempts: 3, backoffMs: 20 },
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...options,
  });
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => {
    server.close((error) => {
      if (error) reject(error);
      else resolve();
    });
  });
  return port;
}

describe('answers', () => {
  it('reads the head block and sends the bearer token and the timeout', async () => {
    await expect(client({ timeoutMs: 1_500 }).latestBlock()).resolves.toEqual({
      number: HEAD,
      hash: blockHash(HEAD),
    });
    const [request] = fake.requests;
    expect(request?.url).toBe('/api/v1/block/latest');
    expect(request?.headers.authorization).toBe(`Bearer ${FAKE_TOKEN}`);
    expect(request?.headers['x-timeout-ms']).toBe('1500');
  });

  it('reads neurons at the head, the newest cached block and a given block, with their cache age', async () => {
    const sidecar = client();
    const latest = await sidecar.neurons(FAKE_NETUID);
    const recent = await sidecar.neurons(FAKE_NETUID, 'recent');
    const past = await sidecar.neurons(FAKE_NETUID, HEAD - 100);

    expect(fake.requests.map((r) => r.url)).toEqual([
      '/api/v1/subnet/1/block/latest/neurons',
      '/api/v1/subnet/1/block/recent/neurons',
      `/api/v1/subnet/1/block/${HEAD - 100}/neurons`,
    ]);
    expect(latest.block).toEqual({ number: HEAD, hash: blockHash(HEAD) });
    expect(latest.meta).toEqual({ cacheAgeBlocks: 0, warning: undefined });
    expect(recent.block.number).toBe(HEAD - 2);
    expect(recent.meta.cacheAgeBlocks).toBe(2);
    expect(past.block.hash).toBe(blockHash(HEAD - 100));
    expect(past.meta.cacheAgeBlocks).toBe(100);
    expect(Object.keys(latest.neurons)).toEqual(neuronsAt.map((n) => n.hotkey));
    expect(latest.neurons[hotkeys.bob]).toMatchObject({
      uid: 1,
      stake_rao: '250000123456789',
      stake: 250_000.123456789,
    });
  });

  it('reads validators, largest stake first', async () => {
    const result = await client().validators(FAKE_NETUID);
    expect(fake.requests[0]?.url).toBe('/api/v1/subnet/1/block/latest/validators');
    expect(result.validators.map((v) => v.hotkey)).toEqual([hotkeys.charlie, hotkeys.alice, hotkeys.bob]);
    expect(result.meta.cacheAgeBlocks).toBe(0);

    const atBlock = await client().validators(FAKE_NETUID, HEAD - 5);
    expect(fake.requests[1]?.url).toBe(`/api/v1/subnet/1/block/${HEAD - 5}/validators`);
    expect(atBlock.meta.cacheAgeBlocks).toBe(5);
  });

  it('puts weights as a JSON body and returns the scheduled job', async () => {
    const stranger = '5G9z8Ttoo7892VqBHiSWCbnd2aEdH8noJLqZ4HFMzMVNhvgP';
    const result = await client().putWeights(FAKE_IDENTITY, FAKE_NETUID, {
      [hotkeys.dave]: 0.8,
      [hotkeys.eve]: 0.2,
      [stranger]: 0.1,
    });
    expect(result).toEqual({
      detail: 'weights update scheduled',
      count: 2,
      job_id: 'main:1:70173',
      epoch: 70_173,
      unknown_hotkeys: [stranger],
    });
    const [request] = fake.requests;
    expect(request?.method).toBe('PUT');
    expect(request?.url).toBe('/api/v1/identity/main/subnet/1/weights');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body).toEqual({ weights: { [hotkeys.dave]: 0.8, [hotkeys.eve]: 0.2, [stranger]: 0.1 } });
  });

  it('reads the weights history and the identities', async () => {
    const sidecar = client();
    await expect(sidecar.weightsHistory(FAKE_IDENTITY, FAKE_NETUID)).resolves.toEqual({ jobs: [weightsJob] });
    await expect(sidecar.identities()).resolves.toEqual({
      identities: [{ name: 'main', netuid: 1, hotkey: hotkeys.alice }],
    });
    expect(fake.requests.map((r) => r.url)).toEqual([
      '/api/v1/identity/main/subnet/1/weights/history',
      '/api/v1/identities',
    ]);
  });

  it('URL-encodes identity names and accepts a base URL with a trailing slash', async () => {
    const names: string[] = [];
    fake.on('weightsHistory', (request) => {
      names.push((request.params as { name: string }).name);
      return { jobs: [] };
    });
    await client({ baseUrl: `${fake.url}/` }).weightsHistory('ops/main validator', FAKE_NETUID);
    expect(fake.requests[0]?.url).toBe('/api/v1/identity/ops%2Fmain%20validator/subnet/1/weights/history');
    expect(names).toEqual(['ops/main validator']);
  });

  it('sends a per-call timeout, capped at what the sidecar accepts', async () => {
    const sidecar = client();
    await sidecar.latestBlock({ timeoutMs: 750 });
    await new SidecarClient({ baseUrl: fake.url, token: FAKE_TOKEN, timeoutMs: 900_000 }).latestBlock();
    expect(fake.requests.map((r) => r.headers['x-timeout-ms'])).toEqual(['750', String(MAX_TIMEOUT_MS)]);
  });

  it('sends no authorization header without a token', async () => {
    await rejectionOf(client({ token: undefined }).identities());
    expect(fake.requests[0]?.headers).not.toHaveProperty('authorization');
  });

  it('surfaces the warning header of a stale answer in meta and through onWarning', async () => {
    const warning = '110 - "metagraph is 9 blocks behind the head"';
    fake.on('neurons', (_request, reply) =>
      reply
        .header('x-cache-age-blocks', '9')
        .header('warning', warning)
        .send({ block: { number: HEAD - 9, hash: blockHash(HEAD - 9) }, neurons: {} }),
    );
    const warnings: SidecarWarning[] = [];
    const result = await client({ onWarning: (w) => warnings.push(w) }).neurons(FAKE_NETUID);
    expect(result.meta).toEqual({ cacheAgeBlocks: 9, warning });
    expect(warnings).toEqual([
      { warning, method: 'GET', path: '/api/v1/subnet/1/block/latest/neurons', cacheAgeBlocks: 9 },
    ]);
  });

  it('calls onWarning only for answers that carry a warning', async () => {
    const warnings: SidecarWarning[] = [];
    await client({ onWarning: (w) => warnings.push(w) }).neurons(FAKE_NETUID);
    expect(warnings).toEqual([]);
  });

  it('uses the fetch implementation it is given', async () => {
    const urls: string[] = [];
    const sidecar = client({
      fetch: (url, init) => {
        urls.push(url);
        return fetch(url, init);
      },
    });
    await sidecar.latestBlock();
    expect(urls).toEqual([`${fake.url}/api/v1/block/latest`]);
  });
});

describe('error statuses', () => {
  const cases = [
    { status: 400, code: SidecarApiErrorCode.InvalidTimeout, type: SidecarBadRequestError, retryable: false },
    { status: 422, code: SidecarApiErrorCode.InvalidRequest, type: SidecarBadRequestError, retryable: false },
    { status: 404, code: SidecarApiErrorCode.BlockNotFound, type: SidecarNotFoundError, retryable: false },
    { status: 503, code: SidecarApiErrorCode.CacheStale, type: SidecarUnavailableError, retryable: true },
    {
      status: 503,
      code: SidecarApiErrorCode.ChainUnavailable,
      type: SidecarUnavailableError,
      retryable: true,
    },
    {
      status: 502,
      code: SidecarApiErrorCode.ChainUnavailable,
      type: SidecarUnavailableError,
      retryable: true,
    },
    { status: 504, code: SidecarApiErrorCode.Timeout, type: SidecarTimeoutError, retryable: true },
    { status: 500, code: 'internal_error', type: SidecarClientError, retryable: false },
  ];

  it.each(cases)('$status $code → $type.name, retryable: $retryable', async (c) => {
    fake.on('latestBlock', (_request, reply) => fail(reply, c.status, c.code, `sidecar says ${c.code}`));
    const error = await rejectionOf(client().latestBlock());
    expect(error).toBeInstanceOf(c.type);
    expect((error as object).constructor).toBe(c.type);
    expect(error).toMatchObject({ status: c.status, code: c.code, retryable: c.retryable });
    expect((error as Error).message).toContain(`sidecar says ${c.code}`);
    expect(fake.hits('latestBlock')).toBe(c.retryable ? 3 : 1);
    expect(sleeps).toHaveLength(c.retryable ? 2 : 0);
  });

  it('maps an error status without the API error body by its status', async () => {
    fake.on('latestBlock', (_request, reply) =>
      reply.code(502).type('text/html').send('<html><body>502 Bad Gateway</body></html>'),
    );
    const error = await rejectionOf(client().latestBlock());
    expect(error).toBeInstanceOf(SidecarUnavailableError);
    expect(error).toMatchObject({ status: 502, code: SidecarClientErrorCode.HttpError, retryable: true });
    expect((error as Error).message).toContain('502 Bad Gateway');
  });

  it('refuses a missing token with 401 and a wrong one with 403, without retrying', async () => {
    const missing = await rejectionOf(client({ token: undefined }).identities());
    expect(missing).toBeInstanceOf(SidecarUnauthorizedError);
    expect(missing).toMatchObject({ status: 401, code: SidecarApiErrorCode.Unauthorized, retryable: false });

    const wrong = await rejectionOf(client({ token: 'sk-wrong' }).identities());
    expect(wrong).toBeInstanceOf(SidecarForbiddenError);
    expect(wrong).toMatchObject({ status: 403, code: SidecarApiErrorCode.Forbidden, retryable: false });

    expect(fake.hits('identities')).toBe(2);
    expect(sleeps).toEqual([]);
  });

  it('reports unknown identities, subnets and blocks as not found', async () => {
    const sidecar = client();
    await expect(sidecar.weightsHistory('backup', FAKE_NETUID)).rejects.toMatchObject({
      name: 'SidecarNotFoundError',
      status: 404,
      code: SidecarApiErrorCode.IdentityNotFound,
    });
    await expect(sidecar.neurons(7)).rejects.toMatchObject({
      name: 'SidecarNotFoundError',
      code: SidecarApiErrorCode.SubnetNotFound,
    });
    await expect(sidecar.neurons(FAKE_NETUID, HEAD + 10)).rejects.toMatchObject({
      name: 'SidecarNotFoundError',
      code: SidecarApiErrorCode.BlockNotFound,
    });
    expect(fake.requests).toHaveLength(3);
  });

  it('reports weights the sidecar refuses as a bad request, sent once', async () => {
    const error = await rejectionOf(
      client().putWeights(FAKE_IDENTITY, FAKE_NETUID, { [hotkeys.dave]: -0.5 }),
    );
    expect(error).toBeInstanceOf(SidecarBadRequestError);
    expect(error).toMatchObject({ status: 400, code: SidecarApiErrorCode.InvalidWeights });
    expect(fake.hits('putWeights')).toBe(1);
  });
});

describe('retries', () => {
  it('retries 503 with growing, jittered delays and returns the answer that follows', async () => {
    fake.on('neurons', (_request, reply, hit) =>
      hit <= 2
        ? fail(reply, 503, SidecarApiErrorCode.CacheStale, 'metagraph is 40 blocks behind')
        : { block: { number: HEAD, hash: blockHash(HEAD) }, neurons: {} },
    );
    const result = await client({ retries: { attempts: 3, backoffMs: 100 } }).neurons(FAKE_NETUID);
    expect(result.block.number).toBe(HEAD);
    expect(fake.hits('neurons')).toBe(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
    expect(sleeps[1]).toBeGreaterThanOrEqual(100);
    expect(sleeps[1]).toBeLessThanOrEqual(200);
  });

  it('doubles the backoff up to its maximum and gives up after the last attempt', async () => {
    fake.on('latestBlock', (_request, reply) =>
      fail(reply, 503, SidecarApiErrorCode.ChainUnavailable, 'no node'),
    );
    const sidecar = client({
      retries: { attempts: 5, backoffMs: 100, maxBackoffMs: 300 },
      random: () => 0.5,
    });
    const error = await rejectionOf(sidecar.latestBlock());
    expect(error).toBeInstanceOf(SidecarUnavailableError);
    expect(fake.hits('latestBlock')).toBe(5);
    // Three quarters of 100, 200, 400 → 300 (the maximum), 800 → 300.
    expect(sleeps).toEqual([75, 150, 225, 225]);
  });

  it('gives up after one attempt when attempts is 1', async () => {
    fake.on('latestBlock', (_request, reply) => fail(reply, 503, SidecarApiErrorCode.CacheStale, 'stale'));
    await rejectionOf(client({ retries: { attempts: 1 } }).latestBlock());
    expect(fake.hits('latestBlock')).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('times out each slow attempt itself and throws SidecarTimeoutError after the last one', async () => {
    fake.on('latestBlock', async (_request, reply) => {
      await stall(reply, 5_000);
      return { number: HEAD, hash: blockHash(HEAD) };
    });
    const started = performance.now();
    const error = await rejectionOf(client({ timeoutMs: 60 }).latestBlock());
    expect(error).toBeInstanceOf(SidecarTimeoutError);
    expect(error).toMatchObject({
      status: undefined,
      code: SidecarClientErrorCode.ClientTimeout,
      retryable: true,
    });
    expect(fake.hits('latestBlock')).toBe(3);
    expect(fake.requests[0]?.headers['x-timeout-ms']).toBe('60');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('retries after its own timeout and returns the next answer', async () => {
    fake.on('latestBlock', async (_request, reply, hit) => {
      if (hit === 1) await stall(reply, 5_000);
      return { number: HEAD + hit, hash: blockHash(HEAD + hit) };
    });
    await expect(client({ timeoutMs: 60 }).latestBlock()).resolves.toEqual({
      number: HEAD + 2,
      hash: blockHash(HEAD + 2),
    });
    expect(sleeps).toHaveLength(1);
  });

  it('throws SidecarNetworkError when nothing listens, after retrying', async () => {
    const port = await freePort();
    const error = await rejectionOf(client({ baseUrl: `http://127.0.0.1:${port}` }).latestBlock());
    expect(error).toBeInstanceOf(SidecarNetworkError);
    expect(error).toMatchObject({ status: undefined, code: SidecarClientErrorCode.Network, retryable: true });
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect(sleeps).toHaveLength(2);
  });
});

describe('malformed answers', () => {
  it('throws SidecarResponseError for a body that is not JSON, without retrying', async () => {
    fake.on('latestBlock', (_request, reply) => reply.type('text/plain').send('block 4210337'));
    const error = await rejectionOf(client().latestBlock());
    expect(error).toBeInstanceOf(SidecarResponseError);
    expect(error).toMatchObject({
      status: 200,
      code: SidecarClientErrorCode.InvalidResponse,
      retryable: false,
    });
    expect(fake.hits('latestBlock')).toBe(1);
  });

  it('throws SidecarResponseError for JSON that does not match the schema, naming the field', async () => {
    fake.on('validators', () => ({
      block: { number: HEAD, hash: 'f00d' },
      validators: [],
    }));
    const error = await rejectionOf(client().validators(FAKE_NETUID));
    expect(error).toBeInstanceOf(SidecarResponseError);
    expect((error as Error).message).toContain('block.hash');
    expect(fake.hits('validators')).toBe(1);
  });

  it('throws SidecarResponseError for a neuron with an out-of-range field', async () => {
    const [first] = neuronsAt;
    fake.on('neurons', () => ({
      block: { number: HEAD, hash: blockHash(HEAD) },
      neurons: { [first!.hotkey]: { ...first, incentive: 65_535 } },
    }));
    const error = await rejectionOf(client().neurons(FAKE_NETUID));
    expect(error).toBeInstanceOf(SidecarResponseError);
    expect((error as Error).message).toContain('incentive');
  });
});

describe('aborting', () => {
  it('rejects with the signal reason when aborted during an attempt, without retrying', async () => {
    fake.on('latestBlock', async (_request, reply) => {
      await stall(reply, 5_000);
      return { number: HEAD, hash: blockHash(HEAD) };
    });
    const controller = new AbortController();
    const call = client().latestBlock({ signal: controller.signal });
    setTimeout(() => {
      controller.abort(new Error('shutting down'));
    }, 50);
    await expect(call).rejects.toThrow('shutting down');
    expect(fake.hits('latestBlock')).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('rejects at once, sending nothing, when the signal is already aborted', async () => {
    const error = await rejectionOf(client().latestBlock({ signal: AbortSignal.abort() }));
    expect((error as Error).name).toBe('AbortError');
    expect(fake.requests).toEqual([]);
  });

  it('stops waiting between attempts when aborted during the backoff', async () => {
    fake.on('latestBlock', (_request, reply) => fail(reply, 503, SidecarApiErrorCode.CacheStale, 'stale'));
    const controller = new AbortController();
    const sidecar = new SidecarClient({
      baseUrl: fake.url,
      token: FAKE_TOKEN,
      retries: { attempts: 3, backoffMs: 60_000 },
    });
    const started = performance.now();
    const call = sidecar.latestBlock({ signal: controller.signal });
    setTimeout(() => {
      controller.abort(new Error('shutting down'));
    }, 100);
    await expect(call).rejects.toThrow('shutting down');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(fake.hits('latestBlock')).toBe(1);
  });
});

describe('options', () => {
  it('refuses attempts below 1 and timeouts that are not positive', () => {
    expect(() => client({ retries: { attempts: 0 } })).toThrow(RangeError);
    expect(() => client({ timeoutMs: 0 })).toThrow(RangeError);
    expect(() => client({ baseUrl: 'not a url' })).toThrow(TypeError);
  });
});
