/** SGR colour codes the views use. */
export const Colour = {
  bold: 1,
  dim: 2,
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  grey: 90,
} as const;

/** Wraps text in an ANSI colour when `enabled`. */
export function paint(text: string, code: number, enabled: boolean): string {
  return enabled ? `\u001b[${code}m${text}\u001b[0m` : text;
}

// Built from a string: the escape character in a regular expression literal reads as a mistake.
const escapeSequence = '\u001b\\[[0-9;?]*[A-Za-z]';
const ansiPattern = new RegExp(escapeSequence, 'g');
const leadingEscape = new RegExp(`^${escapeSequence}`);

/** Text without ANSI escape sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ansiPattern, '');
}

/** Visible width of text that may hold ANSI colours. */
export function visibleLength(text: string): number {
  return stripAnsi(text).length;
}

/** Cuts a line to `width` visible characters, keeping its colour codes and resetting them at the cut. */
export function truncateLine(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  let visible = 0;
  let out = '';
  for (let index = 0; index < text.length && visible < width;) {
    const escape = text.startsWith('\u001b[', index) ? leadingEscape.exec(text.slice(index)) : null;
    if (escape) {
      out += escape[0];
      index += escape[0].length;
      continue;
    }
    out += text[index] ?? '';
    index++;
    visible++;
  }
  return text.includes('\u001b[') ? `${out}\u001b[0m` : out;
}

/** Lines of a table: columns padded to their widest cell; `align` right-aligns the columns marked 'r'. */
export function table(rows: readonly (readonly string[])[], align: readonly ('l' | 'r')[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 0, visibleLength(cell));
    });
  }
  return rows.map((row) =>
    row
      .map((cell, column) => {
        const padding = ' '.repeat(Math.max(0, (widths[column] ?? 0) - visibleLength(cell)));
        return align[column] === 'r' ? padding + cell : cell + padding;
      })
      .join('  ')
      .trimEnd(),
  );
}

/** A per-second rate: "12.3/s", "0.05/s", "—" when unknown. */
export function formatRate(rate: number | undefined): string {
  if (rate === undefined || !Number.isFinite(rate)) return '—';
  if (rate === 0) return '0/s';
  if (rate < 0.1) return `${rate.toFixed(2)}/s`;
  if (rate < 100) return `${rate.toFixed(1)}/s`;
  return `${Math.round(rate)}/s`;
}

/** A duration in seconds as µs, ms or s with three significant figures; "—" when unknown. */
export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 0.001) return `${Math.round(seconds * 1_000_000)} µs`;
  if (seconds < 1) return `${Number((seconds * 1000).toPrecision(3))} ms`;
  return `${Number(seconds.toPrecision(3))} s`;
}

/** A count with thousands kept readable: 999, 12.3k, 4.56M. */
export function formatCount(count: number | undefined): string {
  if (count === undefined || !Number.isFinite(count)) return '—';
  const whole = Number.isInteger(count) ? count : Number(count.toPrecision(4));
  if (Math.abs(whole) < 10_000) return String(whole);
  if (Math.abs(whole) < 1_000_000) return `${Number((whole / 1000).toPrecision(3))}k`;
  return `${Number((whole / 1_000_000).toPrecision(3))}M`;
}

/** Bytes as MB (what resident memory is read in). */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '—';
  return `${Math.round(bytes / 1_048_576)} MB`;
}

/** An uptime as 3d4h, 5h12m, 7m30s or 42s. */
export function formatUptime(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const whole = Math.floor(seconds);
  const days = Math.floor(whole / 86_400);
  const hours = Math.floor((whole % 86_400) / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  if (days > 0) return `${days}d${hours}h`;
  if (hours > 0) return `${hours}h${minutes}m`;
  if (minutes > 0) return `${minutes}m${whole % 60}s`;
  return `${whole}s`;
}

/** `{a="1",b="2"}` written as `a=1 b=2`. */
export function formatLabels(labels: Readonly<Record<string, string>>, omit: readonly string[] = []): string {
  return Object.entries(labels)
    .filter(([name]) => !omit.includes(name))
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
}
