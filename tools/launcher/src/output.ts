/** Splits a stream of text into whole lines, holding back an unfinished last line until more arrives. */
export class LineBuffer {
  private partial = '';

  /** Adds text; returns the lines it completed, without their line endings. */
  push(text: string): string[] {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    return parts.map((line) => line.replace(/\r$/, ''));
  }

  /** The unfinished last line, if any (call when the stream ends). */
  flush(): string[] {
    const rest = this.partial.replace(/\r$/, '');
    this.partial = '';
    return rest ? [rest] : [];
  }
}

const colours = [36, 33, 32, 35, 34, 91, 96, 93, 92, 95, 94];

/** The ANSI colour code for the n-th name, cycling through distinguishable colours. */
export function colourFor(index: number): number {
  return colours[index % colours.length] ?? 37;
}

/** The name padded to `width`, coloured when `colour` is given, followed by a separator. */
export function formatPrefix(name: string, width: number, colour?: number): string {
  const padded = name.padEnd(width);
  return colour === undefined ? `${padded} | ` : `\u001b[${colour}m${padded}\u001b[0m | `;
}

/** True when the stream is a terminal and NO_COLOR is not set. */
export function wantsColour(
  stream: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  return Boolean(stream.isTTY) && !env['NO_COLOR'];
}

/** Where prefixed output goes. */
export interface OutputSink {
  stdout(line: string): void;
  stderr(line: string): void;
}

/** Writes lines of each named source with a padded (and, on a terminal, coloured) prefix. */
export class PrefixedOutput {
  private readonly names: string[] = [];
  private width: number;

  constructor(
    private readonly sink: OutputSink,
    names: readonly string[],
    private readonly colour: boolean,
  ) {
    this.names.push(...names);
    this.width = Math.max(0, ...names.map((name) => name.length));
  }

  /** The prefix for a source; names seen for the first time widen later prefixes. */
  prefix(name: string): string {
    if (!this.names.includes(name)) {
      this.names.push(name);
      this.width = Math.max(this.width, name.length);
    }
    return formatPrefix(name, this.width, this.colour ? colourFor(this.names.indexOf(name)) : undefined);
  }

  /** Writes one line from `name` to stdout or stderr. */
  line(name: string, stream: 'stdout' | 'stderr', text: string): void {
    this.sink[stream](`${this.prefix(name)}${text}\n`);
  }
}
