import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSr25519Signer, type EpistulaSigner, signEpistulaRequest } from '@vstack/epistula';
import { freePort } from '@vstack/local-infra';
import {
  createTestSchema,
  deleteRedisKeysWithPrefix,
  type RunningApp,
  sendHostile,
  startApp,
  type TestSchema,
  uniqueTestName,
  workspaceRoot,
} from '@vstack/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// Every service that holds a secret runs with known ones at the most verbose log level; real requests, good and
// bad, go through them; then no line any of them wrote (stdout and stderr, start to end) may hold a secret.

const METRICS_TOKEN = 'metrics-token-3f0c2a9d7e5b41c8';
const ADMIN_TOKEN = 'gateway-admin-token-8b1e6d4f0a2c47e9';
const WEBHOOK_SECRET = 'gateway-webhook-master-secret-5c7a9e1b3d2f4608';
const SIDECAR_IDENTITY_TOKEN = 'sidecar-identity-token-a4d8c2e6f0b14357';
const SIDECAR_OPEN_TOKEN = 'sidecar-open-token-9e3b7d1f5a2c4806';
const DATABASE_PASSWORD = 'pg-password-6d2f8a0c4e1b3579';
const VALIDATOR_SEED = '0xb730542256fab912823a26380621a310122dca4340a8ad2f783b845b4b84f95f';
const MINER_MNEMONIC = 'organ field canoe wrestle avoid shuffle grid damp cover vessel soon drip';
const SIDECAR_MNEMONIC = 'craft fashion code summer tribe tiny hen item castle label attend daring';
/** Too short to be accepted: the start-up error must name the variable without showing the value. */
const REFUSED_TOKEN = 'short-7Qx2w';
const TAO = 1_000_000_000n;

/** The forms a secret could leak in: as given, without 0x, URL-encoded, and a mnemonic's first or last words. */
function leakForms(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret)]);
  if (secret.startsWith('0x')) forms.add(secret.slice(2));
  const words = secret.split(' ');
  if (words.length >= 12) {
    forms.add(words.slice(0, 4).join(' '));
    forms.add(words.slice(-4).join(' '));
  }
  return [...forms];
}

interface Logged {
  name: string;
  text: () => string;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function send(
  url: string,
  method: string,
  path: string,
  options: { token?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Prometheus text, HTML: only the status matters here.
  }
  return { status: response.status, body: parsed };
}

describe('secrets never reach the logs', () => {
  const redisUrl = inject('redisUrl');
  const prefix = uniqueTestName('security_logs');
  const running: RunningApp[] = [];
  const logs: Logged[] = [];
  const secrets: Record<string, string> = {
    METRICS_TOKEN,
    GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
    GATEWAY_WEBHOOK_SECRET: WEBHOOK_SECRET,
    'sidecar identity token': SIDECAR_IDENTITY_TOKEN,
    SIDECAR_OPEN_ACCESS_TOKEN: SIDECAR_OPEN_TOKEN,
    'database password': DATABASE_PASSWORD,
    VALIDATOR_HOTKEY: VALIDATOR_SEED,
    MINER_HOTKEY: MINER_MNEMONIC,
    'sidecar identity hotkey': SIDECAR_MNEMONIC,
    'refused METRICS_TOKEN': REFUSED_TOKEN,
  };
  const schemas: TestSchema[] = [];
  let folder = '';
  let validator: EpistulaSigner;
  let databaseUrl = '';
  let devnetUrl = '';

  /** Starts a built app at trace level, keeping every byte it writes (scanned unless `scanned` is false). */
  async function start(
    name: string,
    env: Record<string, string>,
    options: { ready?: (port: number) => Promise<boolean>; scanned?: boolean } = {},
  ): Promise<{ app: RunningApp; url: string }> {
    let text = '';
    const app = await startApp(name, {
      env: {
        LOG_LEVEL: 'trace',
        LOG_FORMAT: 'json',
        REDIS_URL: redisUrl,
        REDIS_PREFIX: prefix,
        METRICS_TOKEN,
        ...env,
      },
      onOutput: (chunk) => {
        text += chunk;
      },
      timeoutMs: 40_000,
      ...(options.ready ? { ready: options.ready } : {}),
    });
    running.push(app);
    if (options.scanned !== false) logs.push({ name, text: () => text });
    return { app, url: `http://127.0.0.1:${app.port}` };
  }

  /** Runs `node dist/apps/<name>/main.js ...args` to its end and keeps what it wrote. */
  function run(name: string, args: string[], env: Record<string, string>): number | null {
    const result = spawnSync(process.execPath, [join(workspaceRoot, `dist/apps/${name}/main.js`), ...args], {
      cwd: workspaceRoot,
      env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'trace', LOG_FORMAT: 'json', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    logs.push({ name: `${name} ${args.join(' ')}`, text: () => `${result.stdout}${result.stderr}` });
    return result.status;
  }

  beforeAll(async () => {
    validator = await createSr25519Signer(Buffer.from(VALIDATOR_SEED.slice(2), 'hex'));
    const url = new URL(inject('databaseUrl'));
    url.password = DATABASE_PASSWORD;
    databaseUrl = url.toString();
    folder = await mkdtemp(join(tmpdir(), 'vstack-security-'));
    const scenario = join(folder, 'scenario.json');
    // The test's own keys on netuid 1: the validator (seed), the sidecar's identity and the miner (mnemonics).
    await writeFile(
      scenario,
      JSON.stringify({
        subnets: [
          {
            netuid: 1,
            neurons: [
              { hotkey: VALIDATOR_SEED, stake: String(100_000n * TAO), validator: true },
              { hotkey: SIDECAR_MNEMONIC, stake: String(50_000n * TAO), validator: true },
              { hotkey: MINER_MNEMONIC, axon: { ip: '127.0.0.1', port: 8091 } },
            ],
          },
        ],
      }),
    );
    // The devnet holds the keys by design (its scenario file): it is the chain here, not a service under test.
    const devnet = await start(
      'devnet',
      { DEVNET_BLOCK_TIME_MS: '0', DEVNET_SCENARIO: scenario },
      { scanned: false },
    );
    devnetUrl = `ws://127.0.0.1:${devnet.app.port}`;
    for (const label of ['security_gateway', 'security_sidecar']) {
      schemas.push(await createTestSchema(inject('databaseUrl'), label));
    }
  }, 120_000);

  afterAll(async () => {
    for (const app of running.reverse()) await app.stop();
    for (const schema of schemas) await schema.drop();
    await deleteRedisKeysWithPrefix(redisUrl, prefix);
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('the gateway: admin and API keys, right and wrong, bad bodies, tokens in the query, a bad database', async () => {
    const env = {
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schemas[0]?.schema ?? '',
      GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
      GATEWAY_WEBHOOK_SECRET: WEBHOOK_SECRET,
    };
    expect(run('gateway', ['migrate'], { ...env, REDIS_URL: redisUrl, REDIS_PREFIX: prefix })).toBe(0);
    const closedPort = await freePort();
    const unreachable = new URL(databaseUrl);
    unreachable.port = String(closedPort);
    expect(run('gateway', ['migrate'], { ...env, DATABASE_URL: unreachable.toString() })).not.toBe(0);
    expect(run('gateway', [], { ...env, METRICS_TOKEN: REFUSED_TOKEN })).toBe(78);

    const { url } = await start('gateway', env);
    const created = await send(url, 'POST', '/v1/admin/keys', {
      token: ADMIN_TOKEN,
      json: { name: 'security', scopes: ['arithmetic'], credits: 5, rate_limit_per_minute: 1000 },
    });
    expect(created.status).toBe(201);
    const key = String(created.body['secret']);
    secrets['API key'] = key;
    secrets['webhook secret of the key'] = String(created.body['webhook_secret']);

    expect((await send(url, 'GET', '/v1/admin/keys', { token: `${ADMIN_TOKEN}x` })).status).toBe(401);
    expect((await send(url, 'GET', '/v1/admin/keys', { token: ADMIN_TOKEN.slice(0, -1) })).status).toBe(401);
    expect((await send(url, 'GET', '/v1/account', { token: key })).status).toBe(200);
    // Nearly right: the last character changed (to another that a key may end with, so only the hash can tell).
    const nearly = `${key.slice(0, -1)}${key.endsWith('A') ? 'E' : 'A'}`;
    expect((await send(url, 'GET', '/v1/account', { token: nearly })).status).toBe(401);
    expect((await send(url, 'GET', '/v1/account', { token: `${key}x` })).status).toBe(401);
    expect((await send(url, 'GET', '/v1/account', { headers: { authorization: key } })).status).toBe(401);
    expect(
      (await send(url, 'GET', `/v1/account?api_key=${key}&token=${ADMIN_TOKEN}&secret=${WEBHOOK_SECRET}`))
        .status,
    ).toBe(401);
    expect((await send(url, 'GET', `/v1/nowhere?access_token=${key}`, { token: key })).status).toBe(404);
    expect(
      (
        await send(url, 'POST', '/v1/arithmetic', {
          token: key,
          body: `{"input":{"a":"${key}"`,
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await send(url, 'POST', '/v1/arithmetic', {
          token: key,
          json: { input: { operation: 'pow', a: key, b: '1' } },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await send(url, 'POST', '/v1/arithmetic', {
          token: key,
          json: {
            input: { operation: 'add', a: '1', b: '2' },
            callback_url: `https://user:${WEBHOOK_SECRET}@example.invalid/x`,
          },
        })
      ).status,
    ).toBeLessThan(500);
    const oversize = await sendHostile(Number(new URL(url).port), {
      method: 'GET',
      path: '/v1/account',
      headers: { authorization: `Bearer ${key}`, 'x-padding': 'p'.repeat(20_000) },
    });
    expect(oversize.status).toBe(431);
    expect((await send(url, 'GET', '/metrics', { token: `${METRICS_TOKEN}x` })).status).toBe(401);
    expect((await send(url, 'GET', '/metrics', { token: METRICS_TOKEN })).status).toBe(200);
    const keyId = String(created.body['id']);
    expect((await send(url, 'DELETE', `/v1/admin/keys/${keyId}`, { token: ADMIN_TOKEN })).status).toBe(200);
    expect((await send(url, 'GET', '/v1/account', { token: key })).status).toBe(401);
  });

  it('the sidecar: read and identity tokens, right and wrong, bad weights, tokens in the query', async () => {
    const { url } = await start('sidecar', {
      SUBTENSOR_URL: devnetUrl,
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schemas[1]?.schema ?? '',
      DATABASE_MIGRATE_ON_START: 'true',
      SIDECAR_IDENTITIES: JSON.stringify([
        { name: 'validator', netuid: 1, token: SIDECAR_IDENTITY_TOKEN, hotkey: SIDECAR_MNEMONIC },
      ]),
      SIDECAR_OPEN_ACCESS_TOKEN: SIDECAR_OPEN_TOKEN,
    });
    const neurons = '/api/v1/subnet/1/block/latest/neurons';
    expect((await send(url, 'GET', neurons, { token: SIDECAR_OPEN_TOKEN })).status).toBe(200);
    expect((await send(url, 'GET', neurons, { token: SIDECAR_IDENTITY_TOKEN })).status).toBe(200);
    expect((await send(url, 'GET', neurons, { token: `${SIDECAR_OPEN_TOKEN}x` })).status).toBe(403);
    expect((await send(url, 'GET', `${neurons}?token=${SIDECAR_OPEN_TOKEN}`)).status).toBe(401);
    const weights = '/api/v1/identity/validator/subnet/1/weights';
    expect(
      (await send(url, 'PUT', weights, { token: SIDECAR_OPEN_TOKEN, json: { weights: {} } })).status,
    ).toBe(403);
    expect(
      (
        await send(url, 'PUT', weights, {
          token: SIDECAR_IDENTITY_TOKEN,
          json: { weights: SIDECAR_MNEMONIC },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await send(url, 'PUT', weights, {
          token: SIDECAR_IDENTITY_TOKEN,
          body: `{"weights":"${VALIDATOR_SEED}`,
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(400);
    expect((await send(url, 'GET', '/metrics', { token: SIDECAR_IDENTITY_TOKEN })).status).toBe(401);
  });

  it('the validator and the miner proxy: hotkeys from a seed and a mnemonic, signed and forged requests', async () => {
    const { url: validatorUrl } = await start('validator', {
      VALIDATOR_HOTKEY: VALIDATOR_SEED,
      NETUID: '1',
    });
    expect((await send(validatorUrl, 'GET', '/metrics', { token: VALIDATOR_SEED })).status).toBe(401);
    const miner = await start('demo-miner', {});
    const { url: proxyUrl } = await start(
      'miner-proxy',
      {
        SUBTENSOR_URL: devnetUrl,
        NETUID: '1',
        MINER_HOTKEY: MINER_MNEMONIC,
        INFERENCE_SERVER_URL: miner.url,
        SIGN_RESPONSES: 'true',
      },
      { ready: async (port) => (await fetch(`http://127.0.0.1:${port}/status`)).ok },
    );
    const hotkey = String((await send(proxyUrl, 'GET', '/')).body['hotkey']);
    const body = JSON.stringify({ operation: 'add', a: '2', b: '3' });
    const signed = signEpistulaRequest(validator, body, { signedFor: hotkey }).headers;
    const post = (headers: Record<string, string>, sent = body) =>
      send(proxyUrl, 'POST', '/tasks/arithmetic', {
        headers: { ...headers, 'content-type': 'application/json' },
        body: sent,
      });
    expect((await post(signed)).status).toBe(200);
    expect((await post(signed)).status).toBe(409);
    const forged = signEpistulaRequest(validator, body, { signedFor: hotkey }).headers;
    expect((await post(forged, JSON.stringify({ operation: 'add', a: '2', b: VALIDATOR_SEED }))).status).toBe(
      401,
    );
    expect((await post({ ...forged, 'Epistula-Signed-For': validator.address })).status).toBe(400);
    expect((await post({ ...forged, 'Epistula-Request-Signature': VALIDATOR_SEED })).status).toBe(400);
  });

  it('no service wrote any of the secrets', () => {
    expect(logs.length).toBeGreaterThanOrEqual(7);
    const leaks: string[] = [];
    for (const log of logs) {
      const text = log.text();
      for (const [name, secret] of Object.entries(secrets)) {
        for (const form of leakForms(secret)) {
          const line = text.split('\n').find((entry) => entry.includes(form));
          // The line goes in the message with the secret masked, to show where it leaked.
          if (line !== undefined)
            leaks.push(`${log.name} wrote ${name}: ${line.replaceAll(form, `<${name}>`)}`);
        }
      }
    }
    expect(leaks).toEqual([]);
    // The scan reads real output: every service logged at least its start and the refused requests.
    expect(logs.map((log) => log.text().length).every((length) => length > 0)).toBe(true);
  });
});
