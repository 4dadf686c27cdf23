import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { runInNewContext } from 'node:vm';
import { gunzipSync } from 'node:zlib';
import { DevnetError, DevnetErrorCode, errorMessage } from '../errors';
import { readTarEntry } from './tar';

/** Subtensor's runtime metadata (v14) and the runtime facts that go with it. */
export interface SubtensorMaterial {
  /** Where it came from (package and file). */
  source: string;
  specName: string;
  specVersion: number;
  txVersion: number;
  /** The genesis hash of the network the metadata was taken from (testnet); the devnet has its own. */
  genesisHash: string;
  /** `0x6d657461…`: magic, version 14, the SCALE-encoded MetadataV14. */
  metadata: `0x${string}`;
}

/** The registry package that ships subtensor's metadata, and the file inside its tarball that holds it. */
export const subtensorMetadataPackage = '@bitgo/sdk-coin-tao@1.16.4';
export const subtensorMetadataEntry = 'package/dist/src/resources/testnet.js';
export const subtensorMetadataCacheFile = 'subtensor-metadata-v14.json';

/** Downloads a registry package's tarball (no dependencies, no scripts) and returns its path. */
export type PackageFetcher = (spec: string, destination: string) => Promise<string>;

const execFileAsync = promisify(execFile);

/** `npm pack <spec>`: the registry tarball only, through npm so the user's registry settings apply. */
export const npmPackFetcher: PackageFetcher = async (spec, destination) => {
  const args = ['pack', spec, '--pack-destination', destination, '--json', '--ignore-scripts'];
  args.push('--fetch-retries=1', '--fetch-timeout=30000');
  const { stdout } = await execFileAsync('npm', args, {
    cwd: process.cwd(),
    timeout: 120_000,
    shell: process.platform === 'win32',
  });
  const packed = JSON.parse(stdout) as { filename: string }[];
  const filename = packed[0]?.filename;
  if (!filename) throw new Error(`npm pack ${spec} printed no file name`);
  return join(destination, filename);
};

/** The workspace's cache folder: node_modules/.cache/vstack under the nearest folder that has node_modules. */
export function defaultCacheDir(from: string = process.cwd()): string {
  let folder = resolve(from);
  for (;;) {
    if (existsSync(join(folder, 'node_modules'))) return join(folder, 'node_modules', '.cache', 'vstack');
    const parent = dirname(folder);
    if (parent === folder) return join(resolve(from), 'node_modules', '.cache', 'vstack');
    folder = parent;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Checks the shape of cached or freshly extracted material; undefined when it is not usable. */
export function parseMaterial(value: unknown, source: string): SubtensorMaterial | undefined {
  if (!isRecord(value)) return undefined;
  const { metadata, genesisHash, specName } = value;
  const specVersion = Number(value['specVersion']);
  const txVersion = Number(value['txVersion']);
  if (typeof metadata !== 'string' || !metadata.startsWith('0x6d657461')) return undefined;
  if (typeof genesisHash !== 'string' || typeof specName !== 'string') return undefined;
  if (!Number.isInteger(specVersion) || !Number.isInteger(txVersion)) return undefined;
  return {
    source: typeof value['source'] === 'string' ? value['source'] : source,
    specName,
    specVersion,
    txVersion,
    genesisHash,
    metadata: metadata as `0x${string}`,
  };
}

/** Runs the package's CommonJS resource file with nothing but `exports` and takes its testnetMaterial. */
export function materialFromModuleSource(source: string): SubtensorMaterial {
  const sandbox: { exports: Record<string, unknown> } = { exports: {} };
  runInNewContext(source, sandbox, { timeout: 10_000 });
  const material = parseMaterial(
    sandbox.exports['testnetMaterial'],
    `${subtensorMetadataPackage}/${subtensorMetadataEntry.replace(/^package\//, '')}`,
  );
  if (!material) throw new Error(`${subtensorMetadataEntry} does not hold the expected testnetMaterial`);
  return material;
}

async function readCache(path: string): Promise<SubtensorMaterial | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    return parseMaterial(JSON.parse(await readFile(path, 'utf8')), path);
  } catch {
    return undefined;
  }
}

async function fetchMaterial(fetcher: PackageFetcher): Promise<SubtensorMaterial> {
  const scratch = await mkdtemp(join(tmpdir(), 'vstack-metadata-'));
  try {
    const tarball = await fetcher(subtensorMetadataPackage, scratch);
    const tar = gunzipSync(await readFile(tarball));
    return materialFromModuleSource(Buffer.from(readTarEntry(tar, subtensorMetadataEntry)).toString('utf8'));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export interface LoadMaterialOptions {
  /** Folder of the cache file (default: defaultCacheDir()). */
  cacheDir?: string;
  fetcher?: PackageFetcher;
  /** Told when the cache is missing and the package is being fetched. */
  onFetch?: (message: string) => void;
}

/**
 * Subtensor's metadata from the cache that `tools/fetch-subtensor-metadata.mjs` writes at install time, or,
 * when the cache is missing, fetched the same way now and cached. Throws MetadataUnavailable when both fail.
 */
export async function loadSubtensorMaterial(options: LoadMaterialOptions = {}): Promise<SubtensorMaterial> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const cachePath = join(cacheDir, subtensorMetadataCacheFile);
  const cached = await readCache(cachePath);
  if (cached) return cached;
  options.onFetch?.(`no subtensor metadata at ${cachePath}: fetching ${subtensorMetadataPackage}`);
  let material: SubtensorMaterial;
  try {
    material = await fetchMaterial(options.fetcher ?? npmPackFetcher);
  } catch (error) {
    throw new DevnetError(
      DevnetErrorCode.MetadataUnavailable,
      `subtensor metadata is not cached at ${cachePath} and fetching ${subtensorMetadataPackage} failed ` +
        `(${errorMessage(error).split('\n')[0] ?? ''}). Run \`node tools/fetch-subtensor-metadata.mjs\` ` +
        'while online, or point VSTACK_CACHE_DIR at a folder that holds the cache file.',
      { cause: error },
    );
  }
  await mkdir(cacheDir, { recursive: true });
  const partial = `${cachePath}.${process.pid}.tmp`;
  await writeFile(partial, JSON.stringify(material));
  await rename(partial, cachePath);
  return material;
}
