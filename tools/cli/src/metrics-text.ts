/** The metric types of the Prometheus text exposition format. */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** One line of values: `name{labels} value`. */
export interface Sample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

/** The samples of one metric, with what its `# TYPE` and `# HELP` lines said. */
export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

/** A /metrics body that is not in the text exposition format. */
export class MetricsTextError extends Error {
  constructor(
    readonly lineNumber: number,
    message: string,
  ) {
    super(`metrics line ${lineNumber}: ${message}`);
    this.name = 'MetricsTextError';
  }
}

const metricTypes: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
const namePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*/;

// A histogram's or summary's samples carry the family name plus one of these suffixes.
const suffixesOf: Readonly<Record<MetricType, readonly string[]>> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
  counter: [],
  gauge: [],
  untyped: [],
};

function parseValue(text: string, lineNumber: number): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    case 'NaN':
      return Number.NaN;
    default: {
      const value = Number(text);
      if (text === '' || Number.isNaN(value))
        throw new MetricsTextError(lineNumber, `"${text}" is not a number`);
      return value;
    }
  }
}

/** Reads `{a="1",b="x\"y"}` from the start of `text`; returns the labels and the rest of the line. */
function parseLabels(text: string, lineNumber: number): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let index = 1;
  const skipSpaces = () => {
    while (text[index] === ' ') index++;
  };
  for (;;) {
    skipSpaces();
    if (text[index] === '}') return { labels, rest: text.slice(index + 1) };
    const name = labelNamePattern.exec(text.slice(index))?.[0];
    if (!name) throw new MetricsTextError(lineNumber, 'expected a label name');
    index += name.length;
    skipSpaces();
    if (text[index] !== '=' || text[index + 1] !== '"') {
      throw new MetricsTextError(lineNumber, `expected ="..." after label ${name}`);
    }
    index += 2;
    let value = '';
    for (;;) {
      const char = text[index];
      if (char === undefined) throw new MetricsTextError(lineNumber, `unterminated value of label ${name}`);
      index++;
      if (char === '"') break;
      if (char === '\\') {
        const escaped = text[index];
        index++;
        if (escaped === 'n') value += '\n';
        else if (escaped === '\\' || escaped === '"') value += escaped;
        else throw new MetricsTextError(lineNumber, `unknown escape \\${escaped ?? ''} in label ${name}`);
      } else {
        value += char;
      }
    }
    labels[name] = value;
    skipSpaces();
    if (text[index] === ',') index++;
    else if (text[index] !== '}') throw new MetricsTextError(lineNumber, 'expected , or } after a label');
  }
}

function parseSample(line: string, lineNumber: number): Sample {
  const name = namePattern.exec(line)?.[0];
  if (!name) throw new MetricsTextError(lineNumber, 'expected a metric name');
  let rest = line.slice(name.length);
  let labels: Record<string, string> = {};
  if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, lineNumber));
  // The optional timestamp after the value is not used.
  const [valueText] = rest.trim().split(/\s+/);
  return { name, labels, value: parseValue(valueText ?? '', lineNumber) };
}

/**
 * Parses a Prometheus text exposition (what prom-client's `registry.metrics()` writes) into metric families,
 * keyed by family name. Histogram and summary samples (`_bucket`, `_sum`, `_count`) land in their family.
 * Throws MetricsTextError naming the line that is not in the format.
 */
export function parseMetricsText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const familyOf = (name: string): MetricFamily => {
    let family = families.get(name);
    if (!family) {
      family = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, family);
    }
    return family;
  };
  const lines = text.split('\n');
  for (const [index, rawLine] of lines.entries()) {
    const lineNumber = index + 1;
    const line = rawLine.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const match = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(line);
      // Other comments carry nothing.
      if (!match) continue;
      const [, keyword, name = '', detail = ''] = match;
      const family = familyOf(name);
      if (keyword === 'HELP') {
        family.help = detail.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      } else {
        const type = metricTypes.find((candidate) => candidate === detail.trim());
        if (!type) throw new MetricsTextError(lineNumber, `unknown metric type "${detail}"`);
        family.type = type;
      }
      continue;
    }
    const sample = parseSample(line, lineNumber);
    familyOf(familyNameOf(sample.name, families)).samples.push(sample);
  }
  return families;
}

function familyNameOf(sampleName: string, families: ReadonlyMap<string, MetricFamily>): string {
  if (families.has(sampleName)) return sampleName;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue;
    const name = sampleName.slice(0, -suffix.length);
    const family = families.get(name);
    if (family && suffixesOf[family.type].includes(suffix)) return name;
  }
  return sampleName;
}
