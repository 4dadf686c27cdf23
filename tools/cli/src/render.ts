import type { Reading, Readiness } from './client';
import type { ServiceFigures } from './service-figures';
import type { ServiceTarget } from './services';
import {
  Colour,
  formatBytes,
  formatCount,
  formatLabels,
  formatRate,
  formatSeconds,
  formatUptime,
  paint,
  table,
} from './text';

/** How a view is drawn: colours on a terminal, the refresh period shown in the header. */
export interface RenderOptions {
  colour: boolean;
  /** Redrawn in a terminal that takes keys (the header says how to quit). */
  interactive: boolean;
  intervalMs: number;
  now: Date;
}

/** The latest reading of a service with the figures computed from it (none while its metrics are unreadable). */
export interface ServiceState {
  target: ServiceTarget;
  reading: Reading;
  figures: ServiceFigures | undefined;
}

const shortName = (metric: string) => metric.replace(/^vstack_/, '');

function clock(now: Date): string {
  return now.toISOString().slice(11, 19);
}

function header(title: string, options: RenderOptions): string {
  const parts = [
    paint(title, Colour.bold, options.colour),
    `${clock(options.now)} UTC`,
    `every ${options.intervalMs / 1000} s`,
  ];
  if (options.interactive) parts.push(paint('q to quit', Colour.dim, options.colour));
  return parts.join('  ');
}

/** "up · ready", "up · not ready", "down" — coloured. */
export function describeState(reading: Reading, colour: boolean): string {
  const readiness: Readiness = reading.readiness;
  switch (readiness.state) {
    case 'ready':
      return paint('up · ready', Colour.green, colour);
    case 'not_ready':
      return paint('up · not ready', Colour.yellow, colour);
    case 'down':
      return reading.metrics.ok
        ? paint('up · no readiness', Colour.yellow, colour)
        : paint('down', Colour.red, colour);
  }
}

function readinessDetail(readiness: Readiness, colour: boolean): string {
  if (readiness.state === 'down') return readiness.reason;
  const checks = Object.entries(readiness.checks).map(([name, check]) => {
    const detail = check.ok
      ? `${name} ok${check.durationMs === undefined ? '' : ` ${check.durationMs} ms`}`
      : `${name} failing${check.detail ? `: ${check.detail}` : ''}`;
    return paint(detail, check.ok ? Colour.green : Colour.red, colour);
  });
  return checks.length > 0 ? checks.join(', ') : 'no checks';
}

/** The screen of `vstack top <service>`. */
export function renderService(state: ServiceState, options: RenderOptions): string[] {
  const { target, reading, figures } = state;
  const colour = options.colour;
  const lines = [
    header(`vstack top · ${target.name} · ${target.url}`, options),
    '',
    `status   ${describeState(reading, colour)}   ${readinessDetail(reading.readiness, colour)}`,
  ];
  if (!reading.metrics.ok) {
    lines.push(`metrics  ${paint(reading.metrics.reason, Colour.red, colour)}`);
    return lines;
  }
  if (!figures) return lines;
  const { process: proc, http } = figures;
  lines.push(
    `process  uptime ${formatUptime(proc.uptimeSeconds)}   cpu ${proc.cpuShare === undefined ? '—' : `${(proc.cpuShare * 100).toFixed(1)}%`}   rss ${formatBytes(proc.residentBytes)}   event loop p99 ${formatSeconds(proc.eventLoopP99Seconds)}`,
    `http     ${formatRate(http.rate)}   total ${formatCount(http.total)}   5xx ${formatRate(http.errorRate)}   in flight ${formatCount(http.inFlight)}   p50 ${formatSeconds(http.p50)}   p99 ${formatSeconds(http.p99)}`,
    `errors   ${paint(formatRate(figures.errorRate), figures.errorRate ? Colour.red : Colour.green, colour)}${figures.queueDepth === undefined ? '' : `   queue depth ${formatCount(figures.queueDepth)}`}`,
  );
  if (figures.routes.length > 0) {
    lines.push('', paint('routes', Colour.bold, colour));
    lines.push(
      ...indent(
        table(
          [
            ['route', 'req/s', 'total', '4xx', '5xx', 'p50', 'p99'],
            ...figures.routes.map((route) => [
              `${route.method} ${route.route}`,
              formatRate(route.rate),
              formatCount(route.total),
              formatCount(route.clientErrors),
              route.serverErrors > 0 ? paint(formatCount(route.serverErrors), Colour.red, colour) : '0',
              formatSeconds(route.p50),
              formatSeconds(route.p99),
            ]),
          ],
          ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
        ),
      ),
    );
  }
  if (figures.counters.length > 0) {
    lines.push('', paint('counters', Colour.bold, colour));
    lines.push(
      ...indent(
        table(
          [
            ['metric', 'labels', 'rate', 'total'],
            ...figures.counters.map((counter) => [
              shortName(counter.name),
              formatLabels(counter.labels),
              formatRate(counter.rate),
              formatCount(counter.total),
            ]),
          ],
          ['l', 'l', 'r', 'r'],
        ),
      ),
    );
  }
  if (figures.histograms.length > 0) {
    lines.push('', paint('timings', Colour.bold, colour));
    lines.push(
      ...indent(
        table(
          [
            ['metric', 'labels', 'rate', 'count', 'p50', 'p99'],
            ...figures.histograms.map((histogram) => [
              shortName(histogram.name),
              formatLabels(histogram.labels),
              formatRate(histogram.rate),
              formatCount(histogram.total),
              formatHistogramValue(histogram.name, histogram.p50),
              formatHistogramValue(histogram.name, histogram.p99),
            ]),
          ],
          ['l', 'l', 'r', 'r', 'r', 'r'],
        ),
      ),
    );
  }
  if (figures.gauges.length > 0) {
    lines.push('', paint('gauges', Colour.bold, colour));
    lines.push(
      ...indent(
        table(
          [
            ['metric', 'labels', 'value'],
            ...figures.gauges.map((gauge) => [
              shortName(gauge.name),
              formatLabels(gauge.labels),
              formatCount(gauge.value),
            ]),
          ],
          ['l', 'l', 'r'],
        ),
      ),
    );
  }
  return lines;
}

// Histograms named *_seconds hold durations; others (scores) are plain numbers.
function formatHistogramValue(name: string, value: number | undefined): string {
  if (name.endsWith('_seconds')) return formatSeconds(value);
  return value === undefined ? '—' : String(Number(value.toPrecision(3)));
}

function indent(lines: readonly string[]): string[] {
  return lines.map((line) => `  ${line}`);
}

/** The screen of `vstack top`: one line per service. */
export function renderOverview(states: readonly ServiceState[], options: RenderOptions): string[] {
  const colour = options.colour;
  const rows = states.map(({ target, reading, figures }) => [
    target.name,
    target.url,
    describeState(reading, colour),
    figures ? formatRate(figures.http.rate) : '—',
    figures ? formatSeconds(figures.http.p50) : '—',
    figures ? formatSeconds(figures.http.p99) : '—',
    figures
      ? paint(formatRate(figures.errorRate), figures.errorRate ? Colour.red : Colour.green, colour)
      : '—',
    figures?.queueDepth === undefined ? '—' : formatCount(figures.queueDepth),
    reading.metrics.ok ? '' : paint(reading.metrics.reason, Colour.dim, colour),
  ]);
  return [
    header('vstack top', options),
    '',
    ...table(
      [['service', 'url', 'state', 'req/s', 'p50', 'p99', 'errors', 'queue', ''], ...rows],
      ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
  ];
}
