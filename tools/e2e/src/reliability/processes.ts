import { readFileSync } from 'node:fs';

// CPU time and resident memory of a process from /proc (Linux), to report each process's memory at the start and
// end of a run and the CPU the whole stack spends per task.

/** Clock ticks per second of /proc/<pid>/stat's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

export interface ProcessSample {
  pid: number;
  /** User plus system CPU time, in seconds. */
  cpuSeconds: number;
  /** Resident set size, in bytes. */
  rssBytes: number;
}

/** The process's CPU time and RSS now; undefined when it is gone or /proc is not there. */
export function sampleProcess(pid: number): ProcessSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const rss = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { pid, cpuSeconds: ticks / TICKS_PER_SECOND, rssBytes: Number(rss?.[1] ?? 0) * 1024 };
  } catch {
    return undefined;
  }
}

/** Samples of named processes. */
export type Samples = Map<string, ProcessSample>;

export function sampleAll(processes: readonly { name: string; pid: number }[]): Samples {
  const samples: Samples = new Map();
  for (const { name, pid } of processes) {
    const sample = sampleProcess(pid);
    if (sample) samples.set(name, sample);
  }
  return samples;
}

/**
 * What each process used between two samples: CPU seconds spent, RSS at start and at end. A process restarted in
 * between (another pid) has its RSS but no CPU figure.
 */
export interface ProcessUse {
  name: string;
  restarted: boolean;
  cpuSeconds: number;
  rssStartBytes: number;
  rssEndBytes: number;
}

export function processUse(start: Samples, end: Samples): ProcessUse[] {
  return [...end].flatMap(([name, last]) => {
    const first = start.get(name);
    return first
      ? [
          {
            name,
            restarted: first.pid !== last.pid,
            cpuSeconds: first.pid === last.pid ? last.cpuSeconds - first.cpuSeconds : Number.NaN,
            rssStartBytes: first.rssBytes,
            rssEndBytes: last.rssBytes,
          },
        ]
      : [];
  });
}
