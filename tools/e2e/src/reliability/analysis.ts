import type { TaskOutcome } from './audit';
import type { Submission } from './load';

// What users of the gateway saw during a stretch of a run, from the submissions and the tasks' final records.

/** A submission with what became of its task. */
export interface Observed extends Submission {
  outcome?: TaskOutcome;
}

export function observe(submissions: readonly Submission[], outcomes: Map<string, TaskOutcome>): Observed[] {
  return submissions
    .map((submission) => {
      const outcome = submission.taskId === undefined ? undefined : outcomes.get(submission.taskId);
      return outcome ? { ...submission, outcome } : { ...submission };
    })
    .sort((a, b) => a.plannedAt - b.plannedAt);
}

function percentile(sorted: readonly number[], share: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)] as number;
}

/** Submissions in a stretch of time, counted and timed. */
export interface WindowSummary {
  submitted: number;
  /** HTTP status (0: no answer) → count, and the refusals' error codes. */
  statuses: Record<string, number>;
  errors: Record<string, number>;
  /** Accepted tasks by final status. */
  final: Record<string, number>;
  /** Time to the HTTP answer, in ms. */
  submitP50Ms: number;
  submitP99Ms: number;
  submitMaxMs: number;
  /** Time from submission to the task's finish, completed tasks only, in ms. */
  endToEndP50Ms: number;
  endToEndP90Ms: number;
  endToEndP99Ms: number;
  endToEndMaxMs: number;
}

export function summarize(observed: readonly Observed[], from: number, to: number): WindowSummary {
  const inside = observed.filter((entry) => entry.plannedAt >= from && entry.plannedAt < to);
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const final: Record<string, number> = {};
  const submit: number[] = [];
  const endToEnd: number[] = [];
  for (const entry of inside) {
    statuses[entry.status] = (statuses[entry.status] ?? 0) + 1;
    if (entry.error !== undefined) errors[entry.error] = (errors[entry.error] ?? 0) + 1;
    submit.push(entry.answeredAt - entry.plannedAt);
    if (entry.outcome) {
      final[entry.outcome.status] = (final[entry.outcome.status] ?? 0) + 1;
      if (entry.outcome.status === 'COMPLETED' && entry.outcome.finishedAt !== null) {
        endToEnd.push(entry.outcome.finishedAt - entry.plannedAt);
      }
    }
  }
  submit.sort((a, b) => a - b);
  endToEnd.sort((a, b) => a - b);
  return {
    submitted: inside.length,
    statuses,
    errors,
    final,
    submitP50Ms: percentile(submit, 0.5),
    submitP99Ms: percentile(submit, 0.99),
    submitMaxMs: submit.at(-1) ?? Number.NaN,
    endToEndP50Ms: percentile(endToEnd, 0.5),
    endToEndP90Ms: percentile(endToEnd, 0.9),
    endToEndP99Ms: percentile(endToEnd, 0.99),
    endToEndMaxMs: endToEnd.at(-1) ?? Number.NaN,
  };
}

/**
 * When the stack was healthy again after a fault struck at `from`: the start of the first stretch of `holdMs`
 * (stepping by 250 ms, ending before `until`) in which every submission was accepted and completed, with an
 * end-to-end p90 within `withinMs`. Undefined when no such stretch began before `until`.
 */
export function recoveredAt(
  observed: readonly Observed[],
  from: number,
  until: number,
  withinMs: number,
  holdMs: number,
): number | undefined {
  for (let start = from; start + holdMs <= until; start += 250) {
    const window = summarize(observed, start, start + holdMs);
    const healthy =
      window.submitted > 0 &&
      window.statuses['202'] === window.submitted &&
      window.final['COMPLETED'] === window.submitted &&
      window.endToEndP90Ms <= withinMs;
    if (healthy) return start;
  }
  return undefined;
}

/** One stretch of a timeline: submissions planned in it, and the end-to-end times of those that completed. */
export interface TimelinePoint {
  /** Seconds from the timeline's start. */
  atS: number;
  submitted: number;
  accepted: number;
  completed: number;
  endToEndP50Ms: number;
  endToEndMaxMs: number;
}

/** The run in stretches of `stepMs`, to see when latency rose and fell around a fault. */
export function timeline(
  observed: readonly Observed[],
  from: number,
  to: number,
  stepMs: number,
): TimelinePoint[] {
  const points: TimelinePoint[] = [];
  for (let start = from; start < to; start += stepMs) {
    const window = summarize(observed, start, start + stepMs);
    points.push({
      atS: Math.round((start - from) / 1000),
      submitted: window.submitted,
      accepted: window.statuses['202'] ?? 0,
      completed: window.final['COMPLETED'] ?? 0,
      endToEndP50Ms: Math.round(window.endToEndP50Ms),
      endToEndMaxMs: Math.round(window.endToEndMaxMs),
    });
  }
  return points;
}
