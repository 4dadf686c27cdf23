import { open, stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';

/** Splits a stream of text into whole lines, holding back an unfinished last line until more arrives. */
export class LineSplitter {
  private partial = '';

  /** Adds text; returns the lines it completed, without their line endings. */
  push(text: string): string[] {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    return parts.map((line) => line.replace(/\r$/, ''));
  }

  /** The unfinished last line, if any. */
  flush(): string[] {
    const rest = this.partial.replace(/\r$/, '');
    this.partial = '';
    return rest ? [rest] : [];
  }
}

// Enough of a log file's end for the last lines shown before following.
const tailWindowBytes = 1024 * 1024;

async function readRange(path: string, start: number, end: number): Promise<Buffer> {
  if (end <= start) return Buffer.alloc(0);
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(end - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The last `count` whole lines of a file (all of them for Infinity) and the size it had. */
export async function lastLines(path: string, count: number): Promise<{ lines: string[]; size: number }> {
  const { size } = await stat(path);
  const start = Number.isFinite(count) ? Math.max(0, size - tailWindowBytes) : 0;
  const text = (await readRange(path, start, size)).toString('utf8');
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  // A read that starts inside the file starts inside a line.
  if (start > 0) lines.shift();
  return { lines: Number.isFinite(count) ? lines.slice(Math.max(0, lines.length - count)) : lines, size };
}

/**
 * Follows a file from `offset` as `tail -f` does, polling its size: hands over each new whole line, starts again
 * from the top when the file is truncated or replaced by a shorter one (a new launcher run), until `signal`.
 */
export async function followFile(
  path: string,
  offset: number,
  onLine: (line: string) => void,
  options: { signal: AbortSignal; pollMs: number },
): Promise<void> {
  const splitter = new LineSplitter();
  // A write may end inside a multi-byte character; the decoder keeps its first bytes for the next read.
  let decoder = new StringDecoder('utf8');
  let position = offset;
  while (!options.signal.aborted) {
    const size = await stat(path).then(
      (stats) => stats.size,
      () => undefined,
    );
    if (size !== undefined && size < position) {
      position = 0;
      splitter.flush();
      decoder = new StringDecoder('utf8');
    }
    if (size !== undefined && size > position) {
      const bytes = await readRange(path, position, size);
      position += bytes.length;
      for (const line of splitter.push(decoder.write(bytes))) onLine(line);
      continue;
    }
    await sleep(options.pollMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
}
