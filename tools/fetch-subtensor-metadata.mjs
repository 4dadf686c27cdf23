#!/usr/bin/env node
// Puts subtensor's runtime metadata where the devnet looks for it: node_modules/.cache/vstack (or
// $VSTACK_CACHE_DIR)/subtensor-metadata-v14.json. The metadata ships in a registry package
// (@bitgo/sdk-coin-tao, dist/src/resources/testnet.js: subtensor spec 224, metadata v14); only that one
// file is read from the package's tarball, nothing of it is installed and nothing of it is committed.
//
// Runs as the workspace's postinstall, before anything is built, so it has no dependencies; libs/devnet
// does the same when it starts and finds no cache. It never fails an install: offline it warns and exits 0
// (pass --strict to exit 1 instead, --force to fetch again over an existing cache).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runInNewContext } from 'node:vm';
import { gunzipSync } from 'node:zlib';

const PACKAGE = '@bitgo/sdk-coin-tao@1.16.4';
const ENTRY = 'package/dist/src/resources/testnet.js';
const CACHE_FILE = 'subtensor-metadata-v14.json';

const workspaceRoot = resolve(import.meta.dirname, '..');
const args = new Set(process.argv.slice(2));
const cacheDir = process.env.VSTACK_CACHE_DIR || join(workspaceRoot, 'node_modules', '.cache', 'vstack');
const cachePath = join(cacheDir, CACHE_FILE);

function isMaterial(value) {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof value.metadata === 'string' &&
    value.metadata.startsWith('0x6d657461') &&
    typeof value.genesisHash === 'string' &&
    typeof value.specName === 'string' &&
    Number.isInteger(Number(value.specVersion)) &&
    Number.isInteger(Number(value.txVersion))
  );
}

function cached() {
  if (!existsSync(cachePath)) return false;
  try {
    return isMaterial(JSON.parse(readFileSync(cachePath, 'utf8')));
  } catch {
    return false;
  }
}

/** The bytes of one file inside a .tar (ustar: 512-byte headers, octal sizes, data padded to 512). */
function readTarEntry(tar, wanted) {
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const text = (start, length) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const name = text(0, 100);
    const prefix = text(345, 155);
    const size = Number.parseInt(text(124, 12).trim() || '0', 8);
    const path = prefix ? `${prefix}/${name}` : name;
    const start = offset + 512;
    if (path === wanted) return tar.subarray(start, start + size);
    offset = start + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${wanted} is not in the package`);
}

function npmPack(destination) {
  const npmCli = process.env.npm_execpath;
  const npmArgs = ['pack', PACKAGE, '--pack-destination', destination, '--json', '--ignore-scripts'];
  // Offline, npm's default retries would hold an install for minutes.
  npmArgs.push('--fetch-retries=1', '--fetch-timeout=30000');
  const options = {
    cwd: workspaceRoot,
    encoding: 'utf8',
    timeout: 120_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  };
  const output =
    npmCli && npmCli.endsWith('.js')
      ? execFileSync(process.execPath, [npmCli, ...npmArgs], options)
      : execFileSync('npm', npmArgs, { ...options, shell: process.platform === 'win32' });
  const [packed] = JSON.parse(output);
  return join(destination, packed.filename);
}

function fetchMaterial() {
  const scratch = mkdtempSync(join(tmpdir(), 'vstack-metadata-'));
  try {
    const tarball = npmPack(scratch);
    const source = readTarEntry(gunzipSync(readFileSync(tarball)), ENTRY).toString('utf8');
    // The file is a plain CommonJS module that assigns one object literal; it runs with nothing but `exports`.
    const sandbox = { exports: {} };
    runInNewContext(source, sandbox, { timeout: 10_000 });
    const material = sandbox.exports.testnetMaterial;
    if (!isMaterial(material)) throw new Error(`${ENTRY} does not hold the expected testnetMaterial`);
    return {
      source: `${PACKAGE}/${ENTRY.replace(/^package\//, '')}`,
      specName: material.specName,
      specVersion: Number(material.specVersion),
      txVersion: Number(material.txVersion),
      genesisHash: material.genesisHash,
      metadata: material.metadata,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (cached() && !args.has('--force')) {
  console.log(`subtensor metadata: cached at ${cachePath}`);
} else {
  try {
    const material = fetchMaterial();
    mkdirSync(cacheDir, { recursive: true });
    const partial = `${cachePath}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify(material));
    renameSync(partial, cachePath);
    console.log(`subtensor metadata: spec ${material.specVersion} from ${PACKAGE} written to ${cachePath}`);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    console.warn(
      `warning: could not fetch subtensor metadata (${reason}).\n` +
        `The devnet retries when it starts; or run \`node tools/fetch-subtensor-metadata.mjs\` when online.`,
    );
    process.exit(args.has('--strict') ? 1 : 0);
  }
}
