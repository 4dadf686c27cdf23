import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadSubtensorMaterial, type SubtensorMaterial } from '../material/material';

// Each test imports the module afresh, as a new process would: its in-process copy starts empty.
async function freshLoad(material: SubtensorMaterial, cacheDir: string): Promise<`0x${string}`> {
  vi.resetModules();
  const { loadMetadataV15 } = await import('./metadata-v15');
  return loadMetadataV15(material, cacheDir);
}

const cached = async (dir: string): Promise<string[]> =>
  (await readdir(dir)).filter((name) => name.startsWith('subtensor-metadata-v15-')).sort();

describe('the upgraded metadata on disk', () => {
  let material: SubtensorMaterial;
  let built: string;
  let dir: string;

  beforeAll(async () => {
    material = await loadSubtensorMaterial();
    vi.resetModules();
    built = (await import('./metadata-v15')).buildMetadataV15(material);
    dir = await mkdtemp(join(tmpdir(), 'vstack-metadata-v15-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is written on the first start and read, not rebuilt, on the next', async () => {
    expect(await freshLoad(material, dir)).toBe(built);
    const [file, ...others] = await cached(dir);
    expect(others).toEqual([]);
    if (!file) throw new Error('no cache file was written');
    expect(await readFile(join(dir, file), 'utf8')).toBe(built);
    // What the next start serves comes from the file.
    const marked = `0x6d6574610f${'00'.repeat(8)}` as const;
    await writeFile(join(dir, file), marked);
    expect(await freshLoad(material, dir)).toBe(marked);
  });

  it('is rebuilt when the file is not metadata v15, and keeps only the newest few files', async () => {
    for (const name of await cached(dir)) await writeFile(join(dir, name), 'not metadata');
    const past = new Date(Date.now() - 3_600_000);
    for (const name of ['a', 'b', 'c', 'd']) {
      await writeFile(join(dir, `subtensor-metadata-v15-old-${name}.hex`), '0x6d6574610f00');
      await utimes(join(dir, `subtensor-metadata-v15-old-${name}.hex`), past, past);
    }
    expect(await freshLoad(material, dir)).toBe(built);
    const files = await cached(dir);
    expect(files).toHaveLength(3);
    const contents = await Promise.all(files.map((name) => readFile(join(dir, name), 'utf8')));
    expect(contents).toContain(built);
  });
});
