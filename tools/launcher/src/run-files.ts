import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What `vstack top` reads to find the apps of a local run (see tools/cli). */
export interface RunServices {
  apps: Record<string, string>;
  /** The generated metrics token; left out when it came from the environment, where the CLI reads it too. */
  metricsToken?: string;
}

// Built from a string: the escape character in a regular expression literal reads as a mistake.
const escapeSequence = '\u001b\\[[0-9;?]*[A-Za-z]';
const ansiPattern = new RegExp(escapeSequence, 'g');

/**
 * The files a local run leaves for the operator's tools: each app's output in `logs/<app>.log` (started afresh
 * each run, colours removed; `vstack logs <app>` follows it) and the apps' URLs in `services.json` while the
 * run lasts (`vstack top` reads it, so apps moved off their default ports are still found).
 */
export class RunFiles {
  private readonly logs = new Map<string, WriteStream>();
  private failed = false;

  constructor(
    readonly dir: string,
    private readonly onError: (message: string) => void,
  ) {}

  /** The log file of an app. */
  logPath(name: string): string {
    return join(this.dir, 'logs', `${name}.log`);
  }

  /** Appends one line of an app's output to its log file. */
  line(name: string, text: string): void {
    if (this.failed) return;
    let stream = this.logs.get(name);
    if (!stream) {
      try {
        mkdirSync(join(this.dir, 'logs'), { recursive: true });
      } catch (error) {
        this.fail(error);
        return;
      }
      stream = createWriteStream(this.logPath(name), { flags: 'w' });
      stream.on('error', (error) => {
        this.fail(error);
      });
      this.logs.set(name, stream);
    }
    stream.write(`${text.replace(ansiPattern, '')}\n`);
  }

  /** Writes services.json, readable by its owner only since it may hold the metrics token. */
  async writeServices(services: RunServices): Promise<void> {
    try {
      mkdirSync(this.dir, { recursive: true });
      await writeFile(join(this.dir, 'services.json'), `${JSON.stringify(services, null, 2)}\n`, {
        mode: 0o600,
      });
    } catch (error) {
      this.onError(`could not write ${join(this.dir, 'services.json')}: ${describe(error)}`);
    }
  }

  /** Finishes the log files and removes services.json: the apps are gone. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.logs.values()].map(
        (stream) =>
          new Promise<void>((resolveEnd) => {
            stream.end(resolveEnd);
          }),
      ),
    );
    this.logs.clear();
    // Fails only where the directory itself is unusable, and then services.json was never written either.
    await rm(join(this.dir, 'services.json'), { force: true }).catch(() => undefined);
  }

  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.onError(`could not write the app logs under ${this.dir}: ${describe(error)}; going on without them`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
