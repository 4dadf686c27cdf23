import { PassThrough } from 'node:stream';
import { createLogger } from '@vstack/observability';
import { describe, expect, it } from 'vitest';
import { formatFieldValue, formatLogLine, formatLogTime, logLevels } from './log-format';
import { stripAnsi } from './text';

/** Lines a service's own logger writes (JSON, secrets redacted), with whatever `log` does. */
async function loggedLines(log: (logger: ReturnType<typeof createLogger>) => void): Promise<string[]> {
  const destination = new PassThrough();
  let text = '';
  destination.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const logger = createLogger({ service: 'gateway', level: 'trace', format: 'json', destination });
  log(logger);
  logger.flush();
  await new Promise((resolve) => setImmediate(resolve));
  return text.trim().split('\n');
}

describe('formatLogLine', () => {
  it('writes time, level, service, message and the other fields of a service log line', async () => {
    const [line] = await loggedLines((logger) => {
      logger.info(
        { method: 'POST', url: '/v1/tasks', status: 402, note: 'no credits left' },
        'request refused',
      );
    });
    const record = JSON.parse(line!) as { time: string };
    expect(formatLogLine(line!, { colour: false })).toBe(
      `${record.time.slice(11, 23)} INFO  gateway request refused method=POST url=/v1/tasks status=402 note="no credits left"`,
    );
  });

  it('shows an error as type and message, its stack on the lines after', async () => {
    const [line] = await loggedLines((logger) => {
      logger.error({ err: new TypeError('bad input') }, 'job failed');
    });
    const lines = formatLogLine(line!, { colour: false })!.split('\n');
    expect(lines[0]).toMatch(/ ERROR gateway job failed err="TypeError: bad input"$/);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines[1]).toMatch(/^ {4}at /);
  });

  it('never shows a redacted secret', async () => {
    const [line] = await loggedLines((logger) => {
      logger.warn({ token: 'very-secret-token' }, 'odd request');
    });
    const formatted = formatLogLine(line!, { colour: false })!;
    expect(formatted).toContain('token=[redacted]');
    expect(formatted).not.toContain('very-secret-token');
  });

  it('colours the level on a terminal', async () => {
    const [warn, error] = await loggedLines((logger) => {
      logger.warn('slow');
      logger.error('broken');
    });
    expect(formatLogLine(warn!, { colour: true })).toContain('\u001b[33mWARN \u001b[0m');
    const broken = formatLogLine(error!, { colour: true })!;
    expect(broken).toContain('\u001b[31mERROR\u001b[0m');
    expect(stripAnsi(broken)).toMatch(/ERROR gateway broken$/);
  });

  it('leaves out lines below the minimum level but keeps lines that are not JSON', async () => {
    const [debug, info] = await loggedLines((logger) => {
      logger.debug('detail');
      logger.info('news');
    });
    const options = { colour: false, minLevel: logLevels.info };
    expect(formatLogLine(debug!, options)).toBeUndefined();
    expect(formatLogLine(info!, options)).toMatch(/INFO {2}gateway news$/);
    expect(formatLogLine('plain text from a build step', options)).toBe('plain text from a build step');
    expect(formatLogLine('{"not":"a log line"}', options)).toBe('{"not":"a log line"}');
    expect(formatLogLine('{broken json', { ...options, source: 'gateway |' })).toBe('gateway | {broken json');
  });

  it('reads lines prefixed by docker compose logs', () => {
    const line =
      'gateway-1  | {"level":50,"time":1763798400000,"service":"gateway","msg":"Redis is away","attempt":3}';
    expect(formatLogLine(line, { colour: false })).toBe('08:00:00.000 ERROR gateway Redis is away attempt=3');
  });

  it('keeps going with level names, missing times and fields of any type', () => {
    const line = JSON.stringify({
      level: 'warn',
      msg: 'odd',
      nested: { a: [1, 2] },
      empty: null,
      flag: true,
    });
    expect(formatLogLine(line, { colour: false })).toBe(
      '--:--:--.--- WARN  - odd nested={"a":[1,2]} empty=null flag=true',
    );
    expect(formatLogTime('2026-01-02T03:04:05.678Z')).toBe('03:04:05.678');
    expect(formatFieldValue('a=b')).toBe('"a=b"');
    expect(formatFieldValue('plain')).toBe('plain');
  });
});
