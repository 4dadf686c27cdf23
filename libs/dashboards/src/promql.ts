// Just enough PromQL reading to name the metrics an expression selects: a dashboard panel that queries a metric
// no service exports shows "No data" for ever, and nothing else would notice.

/** Words of the language that look like metric names but are not. */
const keywords = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'atan2',
  'inf',
  'nan',
  // Aggregation operators: `sum by (x) (…)` puts a clause between the name and its parenthesis.
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);

/** Clauses whose parenthesised list holds label names, not metrics. */
const labelListClause = /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g;

/** Replaces what never names a metric (strings, label matchers, ranges, variables) with spaces. */
function withoutNonMetricParts(expression: string): string {
  return expression
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' {} ')
    .replace(/\[[^\]]*\]/g, ' [] ')
    .replace(/\$\{?\w+\}?/g, ' ')
    .replace(labelListClause, ' $1 () ')
    .replace(/#.*$/gm, ' ');
}

/**
 * The metric names an expression selects, in order of first appearance. Function and aggregation names (an
 * identifier before `(`), keywords, label names and values, ranges and Grafana variables are left out.
 */
export function metricNamesInExpression(expression: string): string[] {
  const text = withoutNonMetricParts(expression);
  const names: string[] = [];
  for (const match of text.matchAll(/(?<![\w:.])([A-Za-z_:][\w:]*)(?![\w:])/g)) {
    const name = match[1] ?? '';
    const rest = text.slice(match.index + name.length);
    if (/^\s*\(/.test(rest)) continue;
    if (keywords.has(name.toLowerCase())) continue;
    // Numbers in exponent form (1e3) and durations never start with a letter followed by digits only.
    if (/^\d/.test(name)) continue;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** The series suffixes of a histogram (or summary) family. */
const familySuffixes = ['_bucket', '_sum', '_count'] as const;

/**
 * The exported family a selected name belongs to: the name itself, or for `x_bucket`, `x_sum` and `x_count` the
 * histogram or summary `x`. Undefined when the service exports no such family.
 */
export function metricFamilyOf(name: string, exported: ReadonlyMap<string, string>): string | undefined {
  if (exported.has(name)) return name;
  for (const suffix of familySuffixes) {
    if (!name.endsWith(suffix)) continue;
    const family = name.slice(0, -suffix.length);
    const type = exported.get(family);
    if (type === 'histogram' || (type === 'summary' && suffix !== '_bucket')) return family;
  }
  return undefined;
}

/**
 * The metric families of a text exposition (a service's /metrics), from its `# TYPE` lines: name → type. Every
 * metric a service registers has one, whether or not it has been observed yet.
 */
export function exportedMetricFamilies(exposition: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)\s*$/gm)) {
    if (name !== undefined && type !== undefined) families.set(name, type);
  }
  return families;
}

/** Series Prometheus writes itself for every target; a dashboard may query them for any service. */
export const scrapeSeries: readonly string[] = [
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
];
