import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { subtensorSignedExtensions } from '@vstack/devnet';
import { freePort } from '@vstack/local-infra';
import { buildApp, workspaceRoot } from '@vstack/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('the built devnet app', () => {
  let child: ChildProcess;
  let port: number;
  let output = '';
  let startedMs: number;

  beforeAll(async () => {
    buildApp('devnet');
    port = await freePort();
    const started = performance.now();
    child = spawn(process.execPath, [join(workspaceRoot, 'dist/apps/devnet/main.js')], {
      cwd: workspaceRoot,
      env: { PATH: process.env['PATH'] ?? '', PORT: String(port), LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`the devnet did not start within 20 s:\n${output}`));
      }, 20_000);
      const check = () => {
        if (!output.includes('devnet listening on')) return;
        clearTimeout(timer);
        resolvePromise();
      };
      child.stdout?.on('data', check);
      child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`the devnet exited:\n${output}`));
      });
    });
    startedMs = performance.now() - started;
  }, 60_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('listens with the node ready, and polkadot.js reads the head over ws://127.0.0.1:PORT', async () => {
    const ready = /devnet node ready in (\d+) ms/.exec(output)?.[1];
    console.log(`process start to listening: ${startedMs.toFixed(0)} ms (node ready in ${ready ?? '?'} ms)`);
    const api = await ApiPromise.create({
      provider: new WsProvider(`ws://127.0.0.1:${port}`),
      noInitWarn: true,
      signedExtensions: subtensorSignedExtensions,
    });
    try {
      const header = await api.rpc.chain.getHeader();
      expect(header.number.toNumber()).toBe(0);
      expect(api.runtimeMetadata.version).toBe(15);
      const health = await fetch(`http://127.0.0.1:${port}/health/live`);
      expect(health.status).toBe(200);
    } finally {
      await api.disconnect();
    }
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolvePromise) => child.once('exit', resolvePromise));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
