import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPortOf, keepsRecordsInPostgres, selectApps, startTiers } from './apps';

describe('selectApps', () => {
  let distDir: string;
  beforeAll(async () => {
    distDir = await mkdtemp(join(tmpdir(), 'launcher-apps-spec-'));
    for (const name of ['validator', 'gateway', 'devnet', 'demo-miner']) {
      await mkdir(join(distDir, 'apps', name), { recursive: true });
      await writeFile(join(distDir, 'apps', name, 'main.js'), '');
    }
    await mkdir(join(distDir, 'apps', 'half-built'), { recursive: true });
  });
  afterAll(async () => {
    await rm(distDir, { recursive: true, force: true });
  });

  it('finds every built app, the chain and the miner server first', () => {
    const { apps, missing } = selectApps(distDir);
    expect(apps.map((app) => app.name)).toEqual(['demo-miner', 'devnet', 'gateway', 'validator']);
    expect(apps[2]?.main).toBe(join(distDir, 'apps', 'gateway', 'main.js'));
    expect(missing).toEqual([]);
  });

  it('limits the run to --only and names what is not built', () => {
    const { apps, missing } = selectApps(distDir, ['validator', 'scoring', 'half-built']);
    expect(apps.map((app) => app.name)).toEqual(['validator']);
    expect(missing).toEqual(['scoring', 'half-built']);
  });

  it('finds nothing in a dist directory without apps', () => {
    expect(selectApps(join(distDir, 'nowhere'))).toEqual({ apps: [], missing: [] });
  });
});

describe('startTiers', () => {
  it('puts the chain and the miner server in the first tier', () => {
    const tiers = startTiers([
      { name: 'devnet' },
      { name: 'gateway' },
      { name: 'demo-miner' },
      { name: 'scoring' },
    ]);
    expect(tiers.map((tier) => tier.map((app) => app.name))).toEqual([
      ['devnet', 'demo-miner'],
      ['gateway', 'scoring'],
    ]);
    expect(startTiers([{ name: 'gateway' }])).toEqual([[{ name: 'gateway' }]]);
  });
});

describe('app facts from the config schemas', () => {
  it('knows which apps keep records in PostgreSQL', () => {
    const apps = [
      'sidecar',
      'managing',
      'scoring',
      'synthesizing',
      'gateway',
      'validator',
      'miner-proxy',
      'devnet',
    ];
    expect(apps.filter(keepsRecordsInPostgres)).toEqual(['sidecar', 'scoring', 'synthesizing', 'gateway']);
    expect(keepsRecordsInPostgres('something-else')).toBe(false);
  });

  it('reads default ports', () => {
    expect(defaultPortOf('gateway')).toBe(3000);
    expect(defaultPortOf('devnet')).toBe(9944);
    expect(defaultPortOf('something-else')).toBeUndefined();
  });
});
