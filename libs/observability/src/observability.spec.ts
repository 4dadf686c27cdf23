import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { withCorrelationId } from './correlation';
import { runReadiness } from './health';
import { createLogger } from './logger';
import { ServiceMetrics } from './metrics';
import { checkBearer } from './token';

function captureLogger() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean))
      lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  const logger = createLogger({ service: 'test', level: 'info', format: 'json', destination: stream });
  return { logger, lines };
}

describe('checkBearer', () => {
  it('distinguishes unset, missing, wrong and right tokens', () => {
    expect(checkBearer('Bearer abc', undefined)).toBe('not_configured');
    expect(checkBearer(undefined, 'secret-token-1234')).toBe('missing');
    expect(checkBearer('Bearer nope', 'secret-token-1234')).toBe('invalid');
    expect(checkBearer('Basic secret-token-1234', 'secret-token-1234')).toBe('invalid');
    expect(checkBearer('Bearer secret-token-1234', 'secret-token-1234')).toBe('ok');
    expect(checkBearer('bearer   secret-token-1234 ', 'secret-token-1234')).toBe('ok');
  });
});

describe('runReadiness', () => {
  it('is ok only when every check is, and bounds slow checks by the timeout', async () => {
    const report = await runReadiness(
      [
        { name: 'redis', check: () => Promise.resolve({ ok: true }) },
        { name: 'postgres', check: () => new Promise(() => undefined) },
        { name: 'chain', check: () => Promise.reject(new Error('connection refused')) },
      ],
      50,
    );
    expect(report.status).toBe('unavailable');
    expect(report.checks['redis']?.ok).toBe(true);
    expect(report.checks['postgres']).toMatchObject({ ok: false, detail: 'no answer within 50 ms' });
    expect(report.checks['chain']).toMatchObject({ ok: false, detail: 'connection refused' });
  });

  it('is ok with no checks', async () => {
    expect((await runReadiness([])).status).toBe('ok');
  });
});

describe('createLogger', () => {
  it('redacts secrets and carries the correlation id', async () => {
    const { logger, lines } = captureLogger();
    withCorrelationId('req-42', () => {
      logger.info(
        {
          req: { headers: { authorization: 'Bearer top-secret' } },
          wallet: { mnemonic: 'word word word' },
          token: 'tok',
        },
        'hello',
      );
    });
    logger.info({ seed: '0xdeadbeef' }, 'no context');
    await new Promise((resolvePromise) => setImmediate(resolvePromise));
    const text = JSON.stringify(lines);
    expect(text).not.toContain('top-secret');
    expect(text).not.toContain('word word word');
    expect(text).not.toContain('0xdeadbeef');
    expect(lines[0]).toMatchObject({ msg: 'hello', correlationId: 'req-42', service: 'test' });
    expect(lines[1]?.['correlationId']).toBeUndefined();
  });
});

describe('ServiceMetrics', () => {
  it('counts requests by method, route, status and service, and tracks in-progress', async () => {
    const metrics = new ServiceMetrics('gateway');
    const finish = metrics.startHttpRequest('GET', '/v1/tasks/:id');
    let text = (await metrics.render()).body;
    expect(text).toContain(
      'vstack_http_requests_in_progress{method="GET",route="/v1/tasks/:id",service="gateway"} 1',
    );
    finish(200);
    text = (await metrics.render()).body;
    expect(text).toContain(
      'vstack_http_requests_total{method="GET",route="/v1/tasks/:id",service="gateway",status_code="200"} 1',
    );
    expect(text).toContain('vstack_http_request_duration_seconds_bucket');
    expect(text).toContain(
      'vstack_http_requests_in_progress{method="GET",route="/v1/tasks/:id",service="gateway"} 0',
    );
    expect(text).toContain('vstack_process_resident_memory_bytes');
  });
});
