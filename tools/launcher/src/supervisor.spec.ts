import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive, type ProcessExit } from '@vstack/local-infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Supervisor } from './supervisor';

describe('Supervisor', () => {
  let dir: string;
  const script = (name: string) => join(dir, `${name}.mjs`);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'launcher-supervisor-spec-'));
    await writeFile(
      script('server'),
      `process.on('SIGTERM', () => { console.log(' line'); process.exit(0); });
       process.stdout.write('ready on ' + process.env.PORT + '\\npartial');
       process.stderr.write('to stderr\\n');
       setInterval(() => {}, 1000);`,
    );
    await writeFile(
      script('stubborn'),
      `process.on('SIGTERM', () => console.log('ignoring SIGTERM')); setInterval(() => {}, 1000); console.log('up');`,
    );
    await writeFile(script('crash'), `setTimeout(() => process.exit(3), 50);`);
    await writeFile(
      script('task'),
      `console.log('args', process.argv.slice(2).join(' ')); process.exit(Number(process.env.CODE));`,
    );
    await writeFile(
      script('parent'),
      `import { spawn } from 'node:child_process';
       process.on('SIGTERM', () => {});
       const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
       console.log('grandchild ' + child.pid);
       setInterval(() => {}, 1000);`,
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const collect = () => {
    const lines: string[] = [];
    const supervisor = new Supervisor({
      graceMs: 300,
      onLine: (name, stream, line) => lines.push(`${name}/${stream}: ${line}`),
    });
    const waitForLine = async (pattern: RegExp) => {
      for (let i = 0; i < 200; i++) {
        const found = lines.find((line) => pattern.test(line));
        if (found) return found;
        await new Promise((done) => setTimeout(done, 25));
      }
      throw new Error(`no line matching ${pattern}: ${lines.join('\n')}`);
    };
    return { supervisor, lines, waitForLine };
  };

  it('relays output line by line and stops with SIGTERM', async () => {
    const { supervisor, lines, waitForLine } = collect();
    const unexpected: string[] = [];
    supervisor.onUnexpectedExit((name) => unexpected.push(name));
    const server = supervisor.start('server', script('server'), [], { ...process.env, PORT: '1234' });
    await waitForLine(/to stderr/);
    await waitForLine(/ready on 1234/);
    expect(supervisor.running()).toEqual([{ name: 'server', pid: server.pid }]);

    await supervisor.stopAll();
    expect(await server.ended).toEqual({ code: 0, signal: null });
    expect(lines).toEqual([
      'server/stdout: ready on 1234',
      'server/stderr: to stderr',
      'server/stdout: partial line',
    ]);
    expect(unexpected).toEqual([]);
    expect(supervisor.running()).toEqual([]);
  });

  it('kills what ignores SIGTERM after the grace period', async () => {
    const { supervisor, waitForLine } = collect();
    const killed: string[] = [];
    const stubborn = new Supervisor({
      graceMs: 300,
      onLine: () => undefined,
      onKilled: (name) => killed.push(name),
    });
    const process1 = stubborn.start('stubborn', script('stubborn'), [], process.env);
    const process2 = supervisor.start('stubborn', script('stubborn'), [], process.env);
    await waitForLine(/up/);
    await new Promise((done) => setTimeout(done, 200));
    await Promise.all([stubborn.stopAll(), supervisor.stopAll()]);
    expect(await process1.ended).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await process2.ended).toEqual({ code: null, signal: 'SIGKILL' });
    expect(killed).toEqual(['stubborn']);
  });

  it('reports a long-running process that exits on its own', async () => {
    const { supervisor } = collect();
    const exits = new Promise<[string, ProcessExit]>((resolveExit) => {
      supervisor.onUnexpectedExit((name, _pid, exit) => {
        resolveExit([name, exit]);
      });
    });
    supervisor.start('crash', script('crash'), [], process.env);
    expect(await exits).toEqual(['crash', { code: 3, signal: null }]);
    await supervisor.stopAll();
  });

  it('runs a task to completion with its arguments and exit code, which is not unexpected', async () => {
    const { supervisor, lines } = collect();
    const unexpected: string[] = [];
    supervisor.onUnexpectedExit((name) => unexpected.push(name));
    expect(
      await supervisor.run('migrate', script('task'), ['migrate'], { ...process.env, CODE: '2' }),
    ).toEqual({
      code: 2,
      signal: null,
    });
    expect(lines).toEqual(['migrate/stdout: args migrate']);
    expect(unexpected).toEqual([]);
  });

  it('stops the processes a child started, too', async () => {
    const { supervisor, waitForLine } = collect();
    const parent = supervisor.start('parent', script('parent'), [], process.env);
    const line = await waitForLine(/grandchild \d+/);
    const grandchild = Number(/grandchild (\d+)/.exec(line)?.[1]);
    expect(isProcessAlive(grandchild)).toBe(true);
    await supervisor.stopAll();
    expect(await parent.ended).toEqual({ code: null, signal: 'SIGKILL' });
    await new Promise((done) => setTimeout(done, 100));
    expect(isProcessAlive(grandchild)).toBe(false);
  });
});
