import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dashboardSpecs } from './definitions';
import { dashboardsDir, provisioningDir, renderDashboardFiles } from './files';
import { dashboardQueries, PROMETHEUS_DATASOURCE_UID, renderDashboard, unknownMetrics } from './grafana';
import { exportedMetricFamilies, metricNamesInExpression } from './promql';

const committed = (fileName: string) => {
  const path = join(dashboardsDir, fileName);
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
};

describe('the committed dashboards', () => {
  it('are what libs/dashboards renders (regenerate with UPDATE_DASHBOARDS=1)', async () => {
    const files = await renderDashboardFiles();
    if (process.env.UPDATE_DASHBOARDS === '1') {
      mkdirSync(dashboardsDir, { recursive: true });
      for (const file of files) writeFileSync(join(dashboardsDir, file.fileName), file.text);
    }
    for (const file of files) {
      expect(committed(file.fileName), `stale ${file.fileName}: run UPDATE_DASHBOARDS=1`).toBe(file.text);
    }
  });

  it('use the datasource uid the provisioning file gives Prometheus, in every panel and query', () => {
    const provisioned = parse(readFileSync(join(provisioningDir, 'datasources/prometheus.yml'), 'utf8')) as {
      datasources: { uid: string }[];
    };
    expect(provisioned.datasources.map((source) => source.uid)).toEqual([PROMETHEUS_DATASOURCE_UID]);
    for (const spec of dashboardSpecs) {
      const text = JSON.stringify(renderDashboard(spec));
      const uids = [...text.matchAll(/"datasource":\{"type":"prometheus","uid":"([^"]+)"\}/g)].map(
        (match) => match[1],
      );
      expect(uids.length, spec.service).toBeGreaterThan(0);
      expect(new Set(uids), spec.service).toEqual(new Set([PROMETHEUS_DATASOURCE_UID]));
    }
  });

  it('have unique uids and titles, panels that each query some metric, and no overlapping panels', () => {
    expect(new Set(dashboardSpecs.map((spec) => spec.uid)).size).toBe(dashboardSpecs.length);
    expect(new Set(dashboardSpecs.map((spec) => spec.title)).size).toBe(dashboardSpecs.length);
    for (const spec of dashboardSpecs) {
      const titles = spec.rows.flatMap((row) => row.panels.map((panel) => panel.title));
      expect(new Set(titles).size, `${spec.service}: panel titles name panels`).toBe(titles.length);
      const dashboard = renderDashboard(spec) as {
        panels: { title: string; gridPos: { x: number; y: number; w: number; h: number } }[];
      };
      for (const { panel, expr } of dashboardQueries(dashboard)) {
        expect(metricNamesInExpression(expr).length, `${spec.service} / ${panel}: ${expr}`).toBeGreaterThan(
          0,
        );
      }
      const cells = new Set<string>();
      for (const { title, gridPos } of dashboard.panels) {
        expect(gridPos.x + gridPos.w, `${spec.service} / ${title}`).toBeLessThanOrEqual(24);
        for (let x = gridPos.x; x < gridPos.x + gridPos.w; x += 1) {
          for (let y = gridPos.y; y < gridPos.y + gridPos.h; y += 1) {
            const cell = `${x},${y}`;
            expect(cells.has(cell), `${spec.service} / ${title} overlaps at ${cell}`).toBe(false);
            cells.add(cell);
          }
        }
      }
    }
  });
});

describe('unknownMetrics', () => {
  const exposition = [
    '# TYPE vstack_http_requests_total counter',
    '# TYPE vstack_http_request_duration_seconds histogram',
    '# TYPE vstack_process_cpu_seconds_total counter',
  ].join('\n');
  const families = exportedMetricFamilies(exposition);
  const dashboard = (...exprs: string[]) => ({
    panels: [
      { type: 'row', title: 'Row', panels: [] },
      ...exprs.map((expr, index) => ({ title: `Panel ${index}`, targets: [{ expr }] })),
    ],
  });

  it('reports a panel querying a metric the service does not export, and the panel it is in', () => {
    expect(
      unknownMetrics(
        dashboard(
          'sum(rate(vstack_http_requests_total[5m]))',
          'sum(rate(vstack_gateway_made_up_total{code="x"}[5m])) or vector(0)',
          'rate(vstack_http_requests_total_bucket[5m])',
        ),
        families,
      ),
    ).toEqual([
      { panel: 'Panel 1', metric: 'vstack_gateway_made_up_total' },
      { panel: 'Panel 2', metric: 'vstack_http_requests_total_bucket' },
    ]);
  });

  it('accepts histogram series, the series Prometheus adds and exported metrics', () => {
    expect(
      unknownMetrics(
        dashboard(
          'histogram_quantile(0.9, sum by (le) (rate(vstack_http_request_duration_seconds_bucket[1m])))',
          'sum(up{job="gateway"}) / count(up)',
          'rate(vstack_process_cpu_seconds_total[1m])',
        ),
        families,
      ),
    ).toEqual([]);
  });

  it('finds the queries of panels nested in collapsed rows', () => {
    const nested = {
      panels: [{ type: 'row', title: 'Row', panels: [{ title: 'Inner', targets: [{ expr: 'nope' }] }] }],
    };
    expect(unknownMetrics(nested, families)).toEqual([{ panel: 'Inner', metric: 'nope' }]);
  });
});
