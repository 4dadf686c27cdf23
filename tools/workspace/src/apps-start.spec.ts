import { appNames } from '@vstack/config';
import { buildApp, workspaceRoot } from '@vstack/testing';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

function runApp(app: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(workspaceRoot, 'dist/apps', app, 'main.js')], {
      cwd: workspaceRoot,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${app} did not exit on a bad environment`));
      // Nine apps load at once here, beside the rest of the suite: give a loaded machine room.
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stderr });
    });
  });
}

describe('starting an app with a bad environment', () => {
  beforeAll(() => {
    for (const app of appNames) {
      if (!existsSync(join(workspaceRoot, 'apps', app, 'src/main.ts'))) continue;
      buildApp(app);
    }
  }, 120_000);

  it.concurrent.each(appNames)(
    '%s prints every problem at once and exits non-zero',
    async (app) => {
      const { code, stderr } = await runApp(app, {
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        METRICS_TOKEN: 'short',
        REDIS_URL: 'http://127.0.0.1:6379',
      });
      expect(code).toBe(78);
      expect(stderr).toContain(`${app}: invalid configuration`);
      expect(stderr).toContain('PORT: must be a whole number from 1 to 65535');
      expect(stderr).toContain('LOG_LEVEL:');
      expect(stderr).toContain('METRICS_TOKEN: must be at least 16 characters');
      expect(stderr).not.toContain('short');
    },
    70_000,
  );
});
