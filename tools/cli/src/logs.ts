import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatLogLine, type LogFormatOptions } from './log-format';
import { followFile, lastLines, LineSplitter } from './log-source';
import { UsageError } from './services';

/** What `vstack logs` was asked for. */
export interface LogsOptions {
  /** A service whose local launcher log to read. */
  service: string | undefined;
  /** A file to read, or '-' for standard input. */
  file: string | undefined;
  follow: boolean;
  /** Lines from the end of a file shown before following (Infinity: the whole file). */
  lines: number;
  minLevel: number | undefined;
  colour: boolean;
}

/** Everything `vstack logs` touches outside itself. */
export interface LogsDeps {
  /** The local launcher's directory: its service logs are in `logs/<service>.log`. */
  localDir: string;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  write(text: string): void;
  onStopSignal(listener: () => void): () => void;
  pollMs: number;
}

/** The directory the local launcher writes each service's output to. */
export function logDirOf(localDir: string): string {
  return join(localDir, 'logs');
}

interface FileSource {
  path: string;
  /** Shown before lines that are not JSON when several files are read together. */
  label: string | undefined;
}

function sourcesOf(options: LogsOptions, deps: LogsDeps): 'stdin' | FileSource[] {
  if (options.file === '-') return 'stdin';
  if (options.file) {
    if (!existsSync(options.file)) throw new UsageError(`no such file: ${options.file}`);
    return [{ path: options.file, label: undefined }];
  }
  const logDir = logDirOf(deps.localDir);
  if (options.service) {
    const path = join(logDir, `${options.service}.log`);
    if (!existsSync(path)) {
      throw new UsageError(
        `no log of ${options.service} at ${path}: the local launcher (npm run local) writes one per service; ` +
          `elsewhere pipe the logs in, e.g. docker compose logs -f ${options.service} | vstack logs`,
      );
    }
    return [{ path, label: undefined }];
  }
  if (!deps.stdin.isTTY) return 'stdin';
  const files = existsSync(logDir)
    ? readdirSync(logDir)
        .filter((name) => name.endsWith('.log'))
        .sort()
    : [];
  if (files.length === 0) {
    throw new UsageError(
      `no service logs in ${logDir}: start the stack with npm run local, name a --file, or pipe logs in`,
    );
  }
  const width = Math.max(...files.map((name) => name.length - 4));
  return files.map((name) => ({ path: join(logDir, name), label: `${name.slice(0, -4).padEnd(width)} |` }));
}

/** Reads pino JSON lines from standard input, a file or the local launcher's logs, and writes them readably. */
export async function runLogs(options: LogsOptions, deps: LogsDeps): Promise<number> {
  const sources = sourcesOf(options, deps);
  const stop = new AbortController();
  const unsubscribe = deps.onStopSignal(() => {
    stop.abort();
  });
  const emit = (line: string, label: string | undefined) => {
    const format: LogFormatOptions = {
      colour: options.colour,
      ...(options.minLevel === undefined ? {} : { minLevel: options.minLevel }),
      ...(label === undefined ? {} : { source: label }),
    };
    const formatted = formatLogLine(line, format);
    if (formatted !== undefined) deps.write(`${formatted}\n`);
  };
  try {
    if (sources === 'stdin') {
      await readStream(
        deps.stdin,
        (line) => {
          emit(line, undefined);
        },
        stop.signal,
      );
      return 0;
    }
    const offsets = new Map<string, number>();
    for (const source of sources) {
      const { lines, size } = await lastLines(source.path, options.lines);
      for (const line of lines) emit(line, source.label);
      offsets.set(source.path, size);
    }
    if (!options.follow) return 0;
    await Promise.all(
      sources.map((source) =>
        followFile(
          source.path,
          offsets.get(source.path) ?? 0,
          (line) => {
            emit(line, source.label);
          },
          { signal: stop.signal, pollMs: deps.pollMs },
        ),
      ),
    );
    return 0;
  } finally {
    unsubscribe();
  }
}

function readStream(
  stream: NodeJS.ReadableStream,
  onLine: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolveRead, reject) => {
    const splitter = new LineSplitter();
    const onData = (chunk: Buffer | string) => {
      for (const line of splitter.push(chunk.toString())) onLine(line);
    };
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      for (const line of splitter.flush()) onLine(line);
      stream.off('data', onData);
      signal.removeEventListener('abort', finish);
      resolveRead();
    };
    stream.setEncoding('utf8');
    stream.on('data', onData);
    stream.once('end', finish);
    stream.once('error', reject);
    signal.addEventListener('abort', finish);
  });
}
