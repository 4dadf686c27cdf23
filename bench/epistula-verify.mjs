#!/usr/bin/env node
// Verifications per second on one core: the full `verifyEpistulaRequest` (every check, in-memory replay cache,
// metagraph signer policy, 1 KB bodies) against bare `sr25519Verify` from @polkadot/wasm-crypto on the same
// signatures, messages and public keys, measured in alternating rounds of one run.
//
//   npx nx run @vstack/epistula:build && node bench/epistula-verify.mjs [--count 3000] [--rounds 5] [--body-bytes 1024]
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { decodeAddress, encodeAddress } from '@polkadot/util-crypto';
import { sr25519Verify, waitReady } from '@polkadot/wasm-crypto';
import {
  createSr25519Signer,
  epistulaCryptoReady,
  epistulaRequestMessage,
  MemoryReplayCache,
  metagraphSignerPolicy,
  sha256Hex,
  signEpistulaRequest,
  verifyEpistulaRequest,
} from '../dist/libs/epistula/index.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '5' },
    'body-bytes': { type: 'string', default: '1024' },
  },
});
const count = Number(values.count);
const rounds = Number(values.rounds);
const bodyBytes = Number(values['body-bytes']);
const T = 1_700_000_000_000;

await waitReady();
await epistulaCryptoReady();

// A subnet of 256 hotkeys, 16 of them validators that sign; the miner's own hotkey receives.
const validators = await Promise.all(Array.from({ length: 16 }, () => createSr25519Signer(randomBytes(32))));
const miner = await createSr25519Signer(randomBytes(32));
const standings = new Map();
for (const validator of validators)
  standings.set(validator.address, { validatorPermit: true, stake: 10n ** 13n });
while (standings.size < 256)
  standings.set(encodeAddress(randomBytes(32), 42), { validatorPermit: false, stake: 0n });
const signerPolicy = metagraphSignerPolicy({
  lookup: (hotkey) => standings.get(hotkey),
  minStake: 10n ** 12n,
});

/** A JSON body of exactly `size` bytes, different for every request. */
function jsonBody(size) {
  const head = '{"model":"bench","prompt":"';
  const tail = '"}';
  return Buffer.from(
    head +
      randomBytes(size)
        .toString('base64')
        .slice(0, size - head.length - tail.length) +
      tail,
  );
}

process.stdout.write(`signing ${count} requests... `);
const requests = [];
for (let index = 0; index < count; index += 1) {
  const signer = validators[index % validators.length];
  const body = jsonBody(bodyBytes);
  const signed = signEpistulaRequest(signer, body, {
    signedFor: miner.address,
    timestamp: T - (index % 5_000),
  });
  // Header names lower-cased, as Node and Fastify deliver them.
  const headers = Object.fromEntries(
    Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const signatureHex = signed.headers['Epistula-Request-Signature'].slice(2);
  requests.push({
    headers,
    body,
    raw: {
      signature: Buffer.from(signatureHex, 'hex'),
      message: Buffer.from(
        epistulaRequestMessage(sha256Hex(body), signed.uuid, String(signed.timestamp), miner.address),
        'utf8',
      ),
      publicKey: decodeAddress(signer.address),
    },
  });
}
process.stdout.write('done\n');

function verifierOptions() {
  const clock = () => T;
  return { hotkey: miner.address, signerPolicy, replayCache: new MemoryReplayCache({ clock }), clock };
}

function rawRound(items) {
  const started = process.hrtime.bigint();
  for (const { raw } of items) {
    if (!sr25519Verify(raw.signature, raw.message, raw.publicKey)) throw new Error('raw verification failed');
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function epistulaRound(items) {
  const options = verifierOptions();
  const started = process.hrtime.bigint();
  for (const { headers, body } of items) await verifyEpistulaRequest(headers, body, options);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

// Warm up both paths (JIT, WebAssembly memory growth, the public-key cache).
const warmUp = requests.slice(0, Math.min(300, count));
rawRound(warmUp);
await epistulaRound(warmUp);

const rawRates = [];
const epistulaRates = [];
for (let round = 0; round < rounds; round += 1) {
  rawRates.push(count / rawRound(requests));
  epistulaRates.push(count / (await epistulaRound(requests)));
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const raw = median(rawRates);
const full = median(epistulaRates);
const ratio = full / raw;

console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, one core`);
console.log(
  `${count} requests x ${rounds} alternating rounds, ${bodyBytes}-byte bodies, 16 signers, 256-hotkey metagraph`,
);
console.log(
  `raw sr25519Verify:          ${raw.toFixed(0)} verifications/s  (rounds: ${rawRates.map((r) => r.toFixed(0)).join(', ')})`,
);
console.log(
  `verifyEpistulaRequest:      ${full.toFixed(0)} verifications/s  (rounds: ${epistulaRates.map((r) => r.toFixed(0)).join(', ')})`,
);
console.log(`ratio (epistula / raw):     ${ratio.toFixed(3)}  (goal >= 0.9)`);
console.log(
  JSON.stringify({
    bench: 'epistula-verify',
    count,
    rounds,
    bodyBytes,
    rawPerSecond: Math.round(raw),
    epistulaPerSecond: Math.round(full),
    ratio: Number(ratio.toFixed(3)),
  }),
);
if (ratio < 0.9) process.exitCode = 1;
