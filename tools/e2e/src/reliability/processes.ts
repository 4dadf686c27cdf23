import { readFileSync } from 'node:fs';
import { procStat } from '@vstack/local-infra';

// CPU time and resident memory of a process from /proc (Linux), to report each process's memory at the start and
// end of a run and the CPU the whole stack spends per task.

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
    const stat = procStat(pid);
    if (!stat) return undefined;
    const rss = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { pid, cpuSeconds: stat.cpuSeconds, rssBytes: Number(rss?.[1] ?? 0) * 1024 };
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
