import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunFiles } from './run-files';

describe('RunFiles', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'launcher-run-files-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts each app log afresh, without colours, and keeps it after the run', async () => {
    await writeFile(join(dir, 'previous-run-marker'), '');
    const errors: string[] = [];
    const first = new RunFiles(dir, (message) => errors.push(message));
    first.line('gateway', 'from an earlier run');
    await first.close();

    const files = new RunFiles(dir, (message) => errors.push(message));
    files.line('gateway', '\u001b[32mINFO\u001b[39m listening');
    files.line('scoring', 'ready');
    files.line('gateway', 'second line');
    await files.close();

    expect(await readFile(join(dir, 'logs', 'gateway.log'), 'utf8')).toBe('INFO listening\nsecond line\n');
    expect(await readFile(files.logPath('scoring'), 'utf8')).toBe('ready\n');
    expect(errors).toEqual([]);
  });

  it('writes services.json for its owner only while the run lasts', async () => {
    const files = new RunFiles(dir, () => undefined);
    await files.writeServices({
      apps: { gateway: 'http://127.0.0.1:3000' },
      metricsToken: 'a-generated-token',
    });
    const path = join(dir, 'services.json');
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      apps: { gateway: 'http://127.0.0.1:3000' },
      metricsToken: 'a-generated-token',
    });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await files.close();
    expect(existsSync(path)).toBe(false);
  });

  it('reports once and goes on when the logs cannot be written', async () => {
    const blocked = join(dir, 'not-a-directory');
    await writeFile(blocked, '');
    const errors: string[] = [];
    const files = new RunFiles(blocked, (message) => errors.push(message));
    files.line('gateway', 'one');
    files.line('gateway', 'two');
    await files.close();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /could not write the app logs under .*not-a-directory: .*going on without them/,
    );
  });
});
