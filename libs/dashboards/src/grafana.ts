import { metricFamilyOf, metricNamesInExpression, scrapeSeries } from './promql';

/** The uid of the Prometheus datasource, as deploy/grafana/provisioning/datasources/prometheus.yml fixes it. */
export const PROMETHEUS_DATASOURCE_UID = 'vstack-prometheus';

/** One PromQL query of a panel. */
export interface QuerySpec {
  expr: string;
  /** Grafana legend template, e.g. `{{route}}`. */
  legend?: string;
}

/** A panel as the dashboards are written: what it shows, not where. */
export interface PanelSpec {
  title: string;
  description: string;
  kind: 'timeseries' | 'stat';
  /** A Grafana unit id: reqps, ops, s, percentunit, bytes, short… */
  unit: string;
  queries: QuerySpec[];
  /** Value → text, for gauges that encode a state. */
  states?: Record<number, string>;
  /**
   * Why the panel can be empty on a healthy stack (no error has happened, no archive node is configured…). The
   * scrape test then only asks that its queries run.
   */
  emptyWhen?: string;
}

export interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

/** A service's dashboard as the dashboards are written. */
export interface DashboardSpec {
  /** The service (compose service and Nx app) whose /metrics the dashboard reads. */
  service: string;
  uid: string;
  title: string;
  description: string;
  rows: RowSpec[];
}

type Json = Record<string, unknown>;

const datasource = { type: 'prometheus', uid: PROMETHEUS_DATASOURCE_UID };
const GRID_WIDTH = 24;
const PANEL_HEIGHT = 8;

function fieldConfig(panel: PanelSpec): Json {
  const mappings =
    panel.states === undefined
      ? []
      : [
          {
            type: 'value',
            options: Object.fromEntries(
              Object.entries(panel.states).map(([value, text], index) => [value, { text, index }]),
            ),
          },
        ];
  const defaults: Json = { unit: panel.unit, mappings };
  if (panel.kind === 'timeseries') {
    defaults.custom = {
      drawStyle: 'line',
      lineWidth: 1,
      fillOpacity: 10,
      showPoints: 'never',
      spanNulls: true,
    };
  }
  return { defaults, overrides: [] };
}

function options(panel: PanelSpec): Json {
  if (panel.kind === 'stat') {
    return {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'value',
      graphMode: 'area',
      justifyMode: 'auto',
      textMode: 'auto',
    };
  }
  return {
    legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
    tooltip: { mode: 'multi', sort: 'desc' },
  };
}

/** The Grafana dashboard JSON (schema 39) of a spec: rows of panels, two or three to a line. */
export function renderDashboard(spec: DashboardSpec): Json {
  const panels: Json[] = [];
  let id = 1;
  let y = 0;
  for (const row of spec.rows) {
    panels.push({
      type: 'row',
      id: id++,
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: GRID_WIDTH, x: 0, y },
      panels: [],
    });
    y += 1;
    const perLine = row.panels.every((panel) => panel.kind === 'stat')
      ? 4
      : row.panels.length % 3 === 0
        ? 3
        : 2;
    const width = GRID_WIDTH / perLine;
    row.panels.forEach((panel, index) => {
      const column = index % perLine;
      if (index > 0 && column === 0) y += PANEL_HEIGHT;
      panels.push({
        type: panel.kind,
        id: id++,
        title: panel.title,
        description: panel.description,
        datasource,
        gridPos: { h: PANEL_HEIGHT, w: width, x: column * width, y },
        fieldConfig: fieldConfig(panel),
        options: options(panel),
        targets: panel.queries.map((query, queryIndex) => ({
          datasource,
          refId: String.fromCharCode(65 + queryIndex),
          expr: query.expr,
          legendFormat: query.legend ?? '__auto',
          range: true,
          instant: false,
        })),
      });
    });
    y += PANEL_HEIGHT;
  }
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['vstack', spec.service],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    templating: { list: [] },
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    links: [],
    panels,
  };
}

/** A panel query as a committed dashboard holds it. */
export interface DashboardQuery {
  panel: string;
  expr: string;
}

/** Every query of a dashboard JSON (as Grafana stores it), with its panel's title. */
export function dashboardQueries(dashboard: unknown): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  const visit = (panels: unknown) => {
    if (!Array.isArray(panels)) return;
    for (const panel of panels as Json[]) {
      const title = typeof panel.title === 'string' ? panel.title : '(untitled)';
      for (const target of Array.isArray(panel.targets) ? (panel.targets as Json[]) : []) {
        if (typeof target.expr === 'string') queries.push({ panel: title, expr: target.expr });
      }
      visit(panel.panels);
    }
  };
  visit((dashboard as Json | null)?.panels);
  return queries;
}

/** A metric a dashboard queries that the service does not export. */
export interface UnknownMetric {
  panel: string;
  metric: string;
}

/**
 * The metrics a dashboard's queries select that are neither families the service exports (name → type, see
 * exportedMetricFamilies) nor series Prometheus writes itself.
 */
export function unknownMetrics(dashboard: unknown, exported: ReadonlyMap<string, string>): UnknownMetric[] {
  const unknown: UnknownMetric[] = [];
  for (const { panel, expr } of dashboardQueries(dashboard)) {
    for (const metric of metricNamesInExpression(expr)) {
      if (scrapeSeries.includes(metric)) continue;
      if (metricFamilyOf(metric, exported) === undefined) unknown.push({ panel, metric });
    }
  }
  return unknown;
}
