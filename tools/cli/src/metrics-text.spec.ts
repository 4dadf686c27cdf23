import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MetricsTextError, parseMetricsText } from './metrics-text';

describe('parseMetricsText', () => {
  it('reads what prom-client writes: types, help, labels with escapes, histogram and summary samples', async () => {
    const registry = new Registry();
    const requests = new Counter({
      name: 'vstack_http_requests_total',
      help: 'HTTP requests answered.',
      labelNames: ['route', 'status_code'],
      registers: [registry],
    });
    requests.inc({ route: '/v1/tasks', status_code: '200' }, 7);
    requests.inc({ route: 'say "hi"\\ back\nnow', status_code: '500' });
    new Gauge({ name: 'vstack_queue_depth', help: 'Depth.', registers: [registry] }).set(-2.5);
    const duration = new Histogram({
      name: 'vstack_duration_seconds',
      help: 'Durations.',
      labelNames: ['route'],
      buckets: [0.1, 1],
      registers: [registry],
    });
    duration.observe({ route: '/a' }, 0.05);
    duration.observe({ route: '/a' }, 0.5);
    duration.observe({ route: '/a' }, 5);
    const summary = new Summary({
      name: 'vstack_sizes',
      help: 'Sizes.',
      percentiles: [0.5],
      registers: [registry],
    });
    summary.observe(3);

    const families = parseMetricsText(await registry.metrics());

    const counter = families.get('vstack_http_requests_total');
    expect(counter?.type).toBe('counter');
    expect(counter?.help).toBe('HTTP requests answered.');
    expect(counter?.samples).toEqual([
      { name: 'vstack_http_requests_total', labels: { route: '/v1/tasks', status_code: '200' }, value: 7 },
      {
        name: 'vstack_http_requests_total',
        labels: { route: 'say "hi"\\ back\nnow', status_code: '500' },
        value: 1,
      },
    ]);
    expect(families.get('vstack_queue_depth')?.samples[0]?.value).toBe(-2.5);

    const histogram = families.get('vstack_duration_seconds');
    expect(histogram?.type).toBe('histogram');
    expect(histogram?.samples.map((sample) => [sample.name, sample.labels['le'], sample.value])).toEqual([
      ['vstack_duration_seconds_bucket', '0.1', 1],
      ['vstack_duration_seconds_bucket', '1', 2],
      ['vstack_duration_seconds_bucket', '+Inf', 3],
      ['vstack_duration_seconds_sum', undefined, 5.55],
      ['vstack_duration_seconds_count', undefined, 3],
    ]);
    expect(families.has('vstack_duration_seconds_bucket')).toBe(false);

    const sizes = families.get('vstack_sizes');
    expect(sizes?.type).toBe('summary');
    expect(sizes?.samples.map((sample) => sample.name)).toEqual([
      'vstack_sizes',
      'vstack_sizes_sum',
      'vstack_sizes_count',
    ]);
  });

  it('reads special values, timestamps, untyped samples and blank or comment lines', () => {
    const families = parseMetricsText(
      [
        '# a free comment',
        '',
        'up 1 1700000000000',
        'a_gauge{x="1"} +Inf',
        'a_gauge{x="2"} -Inf',
        'a_gauge{x="3",} NaN',
        'small 1.5e-3',
      ].join('\n'),
    );
    expect(families.get('up')).toEqual({
      name: 'up',
      type: 'untyped',
      help: '',
      samples: [{ name: 'up', labels: {}, value: 1 }],
    });
    const values = families.get('a_gauge')?.samples.map((sample) => sample.value);
    expect(values?.[0]).toBe(Number.POSITIVE_INFINITY);
    expect(values?.[1]).toBe(Number.NEGATIVE_INFINITY);
    expect(values?.[2]).toBeNaN();
    expect(families.get('small')?.samples[0]?.value).toBe(0.0015);
  });

  it.each([
    ['metric{route="/x} 1', 'unterminated value of label route'],
    ['metric{route=/x} 1', 'expected ="..." after label route'],
    ['metric{="x"} 1', 'expected a label name'],
    ['metric{a="1" b="2"} 1', 'expected , or } after a label'],
    ['metric{a="\\t"} 1', 'unknown escape \\t in label a'],
    ['metric one', '"one" is not a number'],
    ['metric', '"" is not a number'],
    ['9metric 1', 'expected a metric name'],
    ['# TYPE metric countr', 'unknown metric type "countr"'],
  ])('refuses %j naming the line', (line, message) => {
    const parse = () => parseMetricsText(`ok 1\n${line}\n`);
    expect(parse).toThrow(MetricsTextError);
    expect(parse).toThrow(`metrics line 2: ${message}`);
  });
});
