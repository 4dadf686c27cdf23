import { setTimeout as sleep } from 'node:timers/promises';
import type { Reading } from './client';
import type { Scrape } from './figures';
import { renderOverview, renderService, type ServiceState } from './render';
import { serviceFigures } from './service-figures';
import type { ServiceTarget } from './services';
import { truncateLine } from './text';

/** Where the view is drawn: a terminal (redrawn in place) or a pipe (one frame after another). */
export interface Screen {
  write(text: string): void;
  isTTY: boolean;
  columns: number | undefined;
  rows: number | undefined;
}

/** Key presses from the terminal, when there is one. */
export interface Keyboard {
  /** Starts delivering key presses; returns the function that stops and restores the terminal. */
  listen(onKey: (key: string) => void): () => void;
}

/** Everything `vstack top` touches outside itself. */
export interface TopDeps {
  read(target: ServiceTarget): Promise<Reading>;
  screen: Screen;
  keyboard: Keyboard | undefined;
  /** Subscribes to SIGINT/SIGTERM; returns the unsubscribe. */
  onStopSignal(listener: () => void): () => void;
  now(): Date;
}

export interface TopOptions {
  /** One service in detail, or every service one line each. */
  view: 'service' | 'overview';
  targets: readonly ServiceTarget[];
  intervalMs: number;
  colour: boolean;
  /** Print one frame (after two readings, for rates) and exit, instead of refreshing until told to stop. */
  once: boolean;
}

const enterScreen = '\u001b[?1049h\u001b[?25l';
const leaveScreen = '\u001b[?25h\u001b[?1049l';

/**
 * Refreshes the view every interval until q, Ctrl-C, SIGINT or SIGTERM. Resolves with the exit status: 0, or 1
 * with --once when a service's metrics could not be read.
 */
export async function runTop(options: TopOptions, deps: TopDeps): Promise<number> {
  const stop = new AbortController();
  const quit = () => {
    stop.abort();
  };
  // A function, so the compiler does not assume the flag keeps the value the loop condition saw.
  const stopped = () => stop.signal.aborted;
  const unsubscribe = deps.onStopSignal(quit);
  const interactive = deps.screen.isTTY && !options.once;
  const releaseKeyboard = interactive
    ? deps.keyboard?.listen((key) => {
        if (key === 'q' || key === 'Q' || key === '\u0003') quit();
      })
    : undefined;
  if (interactive) deps.screen.write(enterScreen);

  const previous = new Map<string, Scrape>();
  let readings = 0;
  let lastStates: ServiceState[] = [];
  try {
    while (!stopped()) {
      const states = await Promise.all(
        options.targets.map(async (target): Promise<ServiceState> => {
          const reading = await deps.read(target);
          if (!reading.metrics.ok) return { target, reading, figures: undefined };
          const figures = serviceFigures(previous.get(target.name), reading.metrics.scrape);
          previous.set(target.name, reading.metrics.scrape);
          return { target, reading, figures };
        }),
      );
      readings++;
      lastStates = states;
      if (stopped()) break;
      // With --once the first reading only sets the baseline for rates.
      if (!options.once || readings >= 2) draw(states, options, deps, interactive);
      if (options.once && readings >= 2) break;
      await sleep(options.intervalMs, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    releaseKeyboard?.();
    if (interactive) deps.screen.write(leaveScreen);
    unsubscribe();
  }
  if (options.once && lastStates.some((state) => !state.reading.metrics.ok)) return 1;
  return 0;
}

function draw(
  states: readonly ServiceState[],
  options: TopOptions,
  deps: TopDeps,
  interactive: boolean,
): void {
  const renderOptions = {
    colour: options.colour,
    interactive,
    intervalMs: options.intervalMs,
    now: deps.now(),
  };
  const firstState = states[0];
  const lines =
    options.view === 'service' && firstState
      ? renderService(firstState, renderOptions)
      : renderOverview(states, renderOptions);
  if (!interactive) {
    deps.screen.write(`${lines.join('\n')}\n\n`);
    return;
  }
  const { columns, rows } = deps.screen;
  const visible = rows ? lines.slice(0, Math.max(1, rows - 1)) : lines;
  const body = visible
    .map((line) => (columns ? truncateLine(line, columns) : line) + '\u001b[K')
    .join('\r\n');
  deps.screen.write(`\u001b[H${body}\u001b[J`);
}
