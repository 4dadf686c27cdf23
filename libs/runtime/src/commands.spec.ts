import { PassThrough } from 'node:stream';
import { createLogger } from '@vstack/observability';
import { describe, expect, it } from 'vitest';
import {
  CommandUsageError,
  EXIT_USAGE,
  parseCommandArguments,
  runServiceCommand,
  type ServiceCommand,
} from './commands';

interface Config {
  NETUID: number;
}

class QuotaError extends Error {
  readonly code = 'quota_exhausted';
}

const greet: ServiceCommand<Config> = {
  summary: 'say hello on a subnet',
  usage: '--name <name> [--netuid <netuid>]',
  run(args, { config, out }) {
    const values = parseCommandArguments(args, { name: { type: 'string' }, netuid: { type: 'string' } });
    if (values.name === undefined) throw new CommandUsageError('--name is required');
    out.write(`hello ${values.name} on subnet ${values.netuid ?? config.NETUID}\n`);
    return Promise.resolve();
  },
};

const commands: Record<string, ServiceCommand<Config>> = {
  greet,
  quota: { summary: 'fails with a coded error', run: () => Promise.reject(new QuotaError('quota used up')) },
  crash: { summary: 'fails with a bug', run: () => Promise.reject(new TypeError('x is undefined')) },
};

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString('utf8');
}

async function run(argv: string[]): Promise<{ status: number; out: string; err: string; log: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const log = new PassThrough();
  const [outText, errText, logText] = [collect(out), collect(err), collect(log)];
  const logger = createLogger({ service: 'test', level: 'info', format: 'json', destination: log });
  const status = await runServiceCommand(commands, argv, {
    service: 'test',
    program: 'node dist/apps/test/main.js',
    config: { NETUID: 7 },
    logger,
    out,
    err,
  });
  return { status, out: outText(), err: errText(), log: logText() };
}

describe('service commands', () => {
  it('runs a command with its arguments and the validated config', async () => {
    expect(await run(['greet', '--name', 'dave'])).toMatchObject({
      status: 0,
      out: 'hello dave on subnet 7\n',
      err: '',
    });
    expect((await run(['greet', '--name=eve', '--netuid', '3'])).out).toBe('hello eve on subnet 3\n');
  });

  it('answers bad arguments with the message and the usage line, exit 64, no stack', async () => {
    for (const argv of [
      ['greet'],
      ['greet', '--name'],
      ['greet', '--name', 'a', '--colour', 'red'],
      ['greet', 'x'],
    ]) {
      const result = await run(argv);
      expect(result.status).toBe(EXIT_USAGE);
      expect(result.err).toMatch(
        /^test greet: .+\nusage: node dist\/apps\/test\/main\.js greet --name <name> \[--netuid <netuid>\]\n$/,
      );
      expect(result.err).not.toMatch(/\n\s+at /);
      expect(result.out).toBe('');
    }
    expect((await run(['greet', '--colour', 'red'])).err).toContain("Unknown option '--colour'");
  });

  it('names the commands when given an unknown one, exit 64', async () => {
    expect(await run(['grete'])).toMatchObject({
      status: EXIT_USAGE,
      err: 'test: unknown command "grete" (commands: greet, quota, crash; help lists them)\n',
    });
  });

  it('prints the message of an error with a code, exit 1; logs any other failure with its stack', async () => {
    expect(await run(['quota'])).toMatchObject({ status: 1, err: 'test quota: quota used up\n', log: '' });
    const crash = await run(['crash']);
    expect(crash.status).toBe(1);
    expect(crash.err).toBe('');
    const line = JSON.parse(crash.log) as { level: number; msg: string; err: { stack: string } };
    expect(line).toMatchObject({ level: 60, msg: 'crash failed: x is undefined' });
    expect(line.err.stack).toContain('TypeError: x is undefined');
  });

  it('lists the commands with their usage on help', async () => {
    for (const argv of [['help'], ['--help'], ['-h']]) {
      const result = await run(argv);
      expect(result.status).toBe(0);
      expect(result.out).toContain('usage: node dist/apps/test/main.js [command]');
      expect(result.out).toContain(
        '  greet --name <name> [--netuid <netuid>]\n      say hello on a subnet\n',
      );
      expect(result.out).toContain('  quota\n      fails with a coded error\n');
    }
  });
});
