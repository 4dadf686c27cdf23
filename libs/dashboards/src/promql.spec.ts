import { describe, expect, it } from 'vitest';
import { exportedMetricFamilies, metricFamilyOf, metricNamesInExpression } from './promql';

describe('metricNamesInExpression', () => {
  it('names the metrics of selectors, leaving out functions, aggregations, clauses, labels and ranges', () => {
    expect(
      metricNamesInExpression(
        'histogram_quantile(0.95, sum by (le, route) (rate(vstack_http_request_duration_seconds_bucket{service="gateway", route=~"/v1/.*"}[$__rate_interval])))',
      ),
    ).toEqual(['vstack_http_request_duration_seconds_bucket']);
    expect(
      metricNamesInExpression(
        '(sum(rate(a_total{code=~"5.."}[5m])) or vector(0)) / on (job) group_left (instance) sum without (x) (b_total offset 1h)',
      ),
    ).toEqual(['a_total', 'b_total']);
    expect(metricNamesInExpression('count(circuit_state == 2) > bool 1e3 and up')).toEqual([
      'circuit_state',
      'up',
    ]);
    expect(metricNamesInExpression('max_over_time(queue_depth[10m:1m]) # by (uid) nothing here')).toEqual([
      'queue_depth',
    ]);
    expect(metricNamesInExpression('label_replace(x, "dst", "$1", "src", "(.*)")')).toEqual(['x']);
  });

  it('finds metrics in a bare selector and none in a constant', () => {
    expect(metricNamesInExpression('vstack_managing_metagraph_block')).toEqual([
      'vstack_managing_metagraph_block',
    ]);
    expect(metricNamesInExpression('vector(0) + 1')).toEqual([]);
  });
});

describe('exportedMetricFamilies and metricFamilyOf', () => {
  const exposition = [
    '# HELP requests_total Requests.',
    '# TYPE requests_total counter',
    'requests_total{route="/a"} 3',
    '# HELP latency_seconds Latency.',
    '# TYPE latency_seconds histogram',
    '# HELP lag_seconds Lag.',
    '# TYPE lag_seconds summary',
    '# HELP depth Depth.',
    '# TYPE depth gauge',
    'depth 4',
  ].join('\n');
  const families = exportedMetricFamilies(exposition);

  it('reads every family from the TYPE lines, observed or not', () => {
    expect([...families]).toEqual([
      ['requests_total', 'counter'],
      ['latency_seconds', 'histogram'],
      ['lag_seconds', 'summary'],
      ['depth', 'gauge'],
    ]);
  });

  it('maps histogram and summary series to their family, and nothing else', () => {
    expect(metricFamilyOf('latency_seconds_bucket', families)).toBe('latency_seconds');
    expect(metricFamilyOf('latency_seconds_count', families)).toBe('latency_seconds');
    expect(metricFamilyOf('lag_seconds_sum', families)).toBe('lag_seconds');
    expect(metricFamilyOf('depth', families)).toBe('depth');
    expect(metricFamilyOf('lag_seconds_bucket', families)).toBeUndefined();
    expect(metricFamilyOf('depth_count', families)).toBeUndefined();
    expect(metricFamilyOf('requests', families)).toBeUndefined();
  });
});
