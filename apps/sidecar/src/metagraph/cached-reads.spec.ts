import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../auth/identities.service';
import { registerCachedReads } from './cached-reads';
import type { CachedAnswer } from './neurons-cache';
import type { SnapshotView } from './snapshot';

const view = {
  neuronsBody: Buffer.from('{"neurons":"from memory"}'),
  validatorsBody: Buffer.from('{"validators":"from memory"}'),
} as SnapshotView;
const alice = { name: 'alice', token: 'alice-token' } as Identity;

describe('the cached-read hook', () => {
  let app: FastifyInstance;
  let fresh: CachedAnswer | undefined;

  beforeAll(async () => {
    app = Fastify();
    for (const path of [
      '/api/v1/subnet/:netuid/block/:block/neurons',
      '/api/v1/subnet/:netuid/block/:block/validators',
      '/api/v1/identity/:name/subnet/:netuid/block/:block/neurons',
    ]) {
      app.get(path, () => ({ answeredBy: 'controller' }));
    }
    registerCachedReads(
      app,
      { fresh: () => fresh },
      {
        grantsRead: (token) => token === 'read-token' || token === alice.token,
        grantsIdentity: (identity, token) => identity === alice && token === alice.token,
        get: (name) => (name === 'alice' ? alice : undefined),
      },
    );
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
  });

  async function ask(url: string, headers: Record<string, string> = { authorization: 'Bearer read-token' }) {
    const response = await app.inject({ method: 'GET', url, headers });
    return { body: response.body, age: response.headers['x-cache-age-blocks'] };
  }

  it('sends the stored bytes of a fresh latest or recent answer, with its age', async () => {
    fresh = { view, staleness: { ageBlocks: 2, level: 'fresh' } };
    expect(await ask('/api/v1/subnet/1/block/latest/neurons')).toEqual({
      body: '{"neurons":"from memory"}',
      age: '2',
    });
    expect((await ask('/api/v1/subnet/1/block/recent/validators')).body).toBe('{"validators":"from memory"}');
    const identity = await ask('/api/v1/identity/alice/subnet/1/block/latest/neurons', {
      authorization: 'Bearer alice-token',
    });
    expect(identity.body).toBe('{"neurons":"from memory"}');
  });

  it.each([
    ['a numbered block', '/api/v1/subnet/1/block/12/neurons', { authorization: 'Bearer read-token' }],
    ['no token', '/api/v1/subnet/1/block/latest/neurons', {}],
    ['a wrong token', '/api/v1/subnet/1/block/latest/neurons', { authorization: 'Bearer nope' }],
    [
      'a read token on an identity route',
      '/api/v1/identity/alice/subnet/1/block/latest/neurons',
      { authorization: 'Bearer read-token' },
    ],
    [
      'an unknown identity',
      '/api/v1/identity/bob/subnet/1/block/latest/neurons',
      { authorization: 'Bearer alice-token' },
    ],
    [
      'a bad timeout header',
      '/api/v1/subnet/1/block/latest/neurons',
      { authorization: 'Bearer read-token', 'x-timeout-ms': '0' },
    ],
    [
      'a netuid that is not one',
      '/api/v1/subnet/one/block/latest/neurons',
      { authorization: 'Bearer read-token' },
    ],
  ])('leaves %s to the controller', async (_case, url, headers) => {
    fresh = { view, staleness: { ageBlocks: 0, level: 'fresh' } };
    expect((await ask(url, headers)).body).toBe('{"answeredBy":"controller"}');
  });

  it('leaves the controller what memory does not hold fresh', async () => {
    fresh = undefined;
    expect((await ask('/api/v1/subnet/1/block/latest/neurons')).body).toBe('{"answeredBy":"controller"}');
  });
});
