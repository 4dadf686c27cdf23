// Property: whatever is changed in a signed request, verification refuses it with a 4xx EpistulaError and never
// throws anything else.
import { encodeAddress } from '@polkadot/util-crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSr25519Signer, type EpistulaSigner } from './crypto';
import { EpistulaError } from './errors';
import { EpistulaHeader } from './headers';
import { MemoryReplayCache } from './replay-cache';
import { signEpistulaRequest } from './sign';
import { allowAnySigner } from './signer-policy';
import { ManualClock } from './test-support';
import { EpistulaVerifier } from './verify';

const T = 1_700_000_000_000;
const signedHeaderNames = [
  EpistulaHeader.Version,
  EpistulaHeader.Timestamp,
  EpistulaHeader.Uuid,
  EpistulaHeader.SignedBy,
  EpistulaHeader.SignedFor,
  EpistulaHeader.RequestSignature,
] as const;

type Headers = Record<string, string | string[] | undefined>;

type Mutation =
  | { kind: 'flip-body-byte'; at: number; xor: number }
  | { kind: 'append-body-byte'; byte: number }
  | { kind: 'drop-last-body-byte' }
  | { kind: 'drop-header'; header: string }
  | { kind: 'replace-header'; header: string; value: string }
  | { kind: 'replace-char'; header: string; at: number; char: string }
  | { kind: 'flip-case'; header: string }
  | { kind: 'repeat-header'; header: string }
  | { kind: 'signed-by-other-key'; publicKey: Uint8Array };

const headerName = fc.constantFrom(...signedHeaderNames);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip-body-byte'), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('append-body-byte'), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('drop-last-body-byte') }),
  fc.record({ kind: fc.constant('drop-header'), header: headerName }),
  fc.record({
    kind: fc.constant('replace-header'),
    header: headerName,
    value: fc.oneof(
      fc.string({ maxLength: 140 }),
      fc.constantFrom(
        '',
        ' ',
        '2',
        '2 ',
        '0x',
        '0',
        '-1',
        '1e12',
        'null',
        '00000000-0000-0000-0000-000000000000',
      ),
      fc.uuid(),
      fc.stringMatching(/^0x[0-9a-f]{128}$/),
      fc.stringMatching(/^[0-9]{13}$/),
    ),
  }),
  fc.record({
    kind: fc.constant('replace-char'),
    header: headerName,
    at: fc.nat(),
    char: fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
  }),
  fc.record({ kind: fc.constant('flip-case'), header: headerName }),
  fc.record({ kind: fc.constant('repeat-header'), header: headerName }),
  fc.record({
    kind: fc.constant('signed-by-other-key'),
    publicKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  }),
);

/** Applies a mutation; undefined when it would change nothing the signature covers (fast-check then skips the case). */
function mutate(
  headers: Headers,
  body: Uint8Array,
  change: Mutation,
): { headers: Headers; body: Uint8Array } | undefined {
  const copy: Headers = { ...headers };
  switch (change.kind) {
    case 'flip-body-byte': {
      if (body.length === 0) return undefined;
      const changed = Uint8Array.from(body);
      const at = change.at % body.length;
      changed[at] = (changed[at] ?? 0) ^ change.xor;
      return { headers: copy, body: changed };
    }
    case 'append-body-byte':
      return { headers: copy, body: Uint8Array.from([...body, change.byte]) };
    case 'drop-last-body-byte':
      return body.length === 0 ? undefined : { headers: copy, body: body.subarray(0, -1) };
    case 'drop-header':
      copy[change.header] = undefined;
      return { headers: copy, body };
    case 'replace-header':
      copy[change.header] = change.value;
      break;
    case 'replace-char': {
      const value = String(headers[change.header] ?? '');
      const at = value.length === 0 ? 0 : change.at % value.length;
      copy[change.header] = `${value.slice(0, at)}${change.char}${value.slice(at + 1)}`;
      break;
    }
    case 'flip-case': {
      const value = String(headers[change.header] ?? '');
      copy[change.header] = value === value.toUpperCase() ? value.toLowerCase() : value.toUpperCase();
      break;
    }
    case 'repeat-header': {
      const value = String(headers[change.header] ?? '');
      copy[change.header] = [value, value];
      return { headers: copy, body };
    }
    case 'signed-by-other-key':
      copy[EpistulaHeader.SignedBy] = encodeAddress(change.publicKey, 42);
      break;
  }
  const header = change.kind === 'signed-by-other-key' ? EpistulaHeader.SignedBy : change.header;
  const before = headers[header];
  const after = copy[header];
  if (after === before) return undefined;
  // Hex digits in either case decode to the same signature bytes: not a change.
  if (
    header === EpistulaHeader.RequestSignature &&
    typeof after === 'string' &&
    typeof before === 'string' &&
    after.slice(0, 2) === '0x' &&
    after.toLowerCase() === before.toLowerCase()
  ) {
    return undefined;
  }
  return { headers: copy, body };
}

let signer: EpistulaSigner;
let miner: EpistulaSigner;

beforeAll(async () => {
  signer = await createSr25519Signer(new Uint8Array(32).fill(7));
  miner = await createSr25519Signer(new Uint8Array(32).fill(9));
});

function newVerifier(): EpistulaVerifier {
  const clock = new ManualClock(T);
  // Any signer is accepted so that changed Signed-By values reach the signature check.
  return new EpistulaVerifier({
    hotkey: miner.address,
    signerPolicy: allowAnySigner,
    replayCache: new MemoryReplayCache({ clock: clock.read }),
    clock: clock.read,
  });
}

async function expectClientRefusal(promise: Promise<unknown>): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(EpistulaError);
  const status = (caught as EpistulaError).httpStatus;
  expect(status).toBeGreaterThanOrEqual(400);
  expect(status).toBeLessThan(500);
}

describe('verification under mutation (property)', () => {
  it('refuses any change to a header or a body byte with a 4xx EpistulaError, and still accepts the original', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2048 }),
        fc.integer({ min: -8_000, max: 2_000 }),
        mutation,
        async (body, offset, change) => {
          const verifier = newVerifier();
          const { headers } = signEpistulaRequest(signer, body, {
            signedFor: miner.address,
            timestamp: T + offset,
          });
          const mutated = mutate(headers, body, change);
          fc.pre(mutated !== undefined);
          await expectClientRefusal(verifier.verify(mutated.headers, mutated.body));
          await expect(verifier.verify(headers, body)).resolves.toMatchObject({ signedBy: signer.address });
        },
      ),
      { numRuns: 400 },
    );
  });

  it('refuses arbitrary Epistula header sets with a 4xx EpistulaError', async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 160 }),
      fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
      fc.constant(undefined),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom(...signedHeaderNames.map((name) => name.toLowerCase())), value),
        fc.uint8Array({ maxLength: 64 }),
        async (headers, body) => {
          await expectClientRefusal(newVerifier().verify(headers, body));
        },
      ),
      { numRuns: 400 },
    );
  });
});
