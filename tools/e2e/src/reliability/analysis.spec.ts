import { describe, expect, it } from 'vitest';
import { type Observed, recoveredAt, summarize, timeline } from './analysis';

/** A submission planned at `at` ms that completed `tookMs` later, or failed or went unanswered. */
function entry(
  at: number,
  tookMs: number,
  outcome: 'COMPLETED' | 'FAILED' | 'unanswered' = 'COMPLETED',
): Observed {
  if (outcome === 'unanswered')
    return { plannedAt: at, answeredAt: at + 5, status: 0, error: 'ECONNREFUSED' };
  return {
    plannedAt: at,
    answeredAt: at + 5,
    status: 202,
    taskId: `task-${at}`,
    outcome: {
      status: outcome,
      errorCode: outcome === 'FAILED' ? 'miners_failed' : null,
      finishedAt: at + tookMs,
    },
  };
}

/** Ten submissions a second from `from` to `to` (ms), each made by `make`. */
function steady(from: number, to: number, make: (at: number) => Observed): Observed[] {
  const entries: Observed[] = [];
  for (let at = from; at < to; at += 100) entries.push(make(at));
  return entries;
}

describe('what users saw', () => {
  it('counts answers and final states and times the completed tasks', () => {
    const observed = [entry(0, 100), entry(10, 300), entry(20, 0, 'FAILED'), entry(30, 0, 'unanswered')];
    const window = summarize(observed, 0, 100);
    expect(window).toMatchObject({
      submitted: 4,
      statuses: { '202': 3, '0': 1 },
      errors: { ECONNREFUSED: 1 },
      final: { COMPLETED: 2, FAILED: 1 },
      endToEndP50Ms: 100,
      endToEndMaxMs: 300,
    });
    expect(summarize(observed, 100, 200).submitted).toBe(0);
  });

  it('finds recovery where every submission is accepted and completes in time again', () => {
    // Healthy until 10 s, nothing answered from 10 s to 14 s, then tasks of the outage finish late until 16 s.
    const observed = [
      ...steady(0, 10_000, (at) => entry(at, 100)),
      ...steady(10_000, 14_000, (at) => entry(at, 0, 'unanswered')),
      ...steady(14_000, 16_000, (at) => entry(at, 16_500 - at)),
      ...steady(16_000, 30_000, (at) => entry(at, 100)),
    ];
    const recovered = recoveredAt(observed, 10_000, 30_000, 1_000, 5_000);
    // A p90 lets the last slow tenth of the stretch pass: no earlier than the answers came back.
    expect(recovered).toBeGreaterThanOrEqual(14_000);
    expect(recovered).toBeLessThanOrEqual(16_000);
    // A fault that changes nothing is recovered from at once; one that never ends, never.
    expect(recoveredAt(observed, 20_000, 30_000, 1_000, 5_000)).toBe(20_000);
    expect(recoveredAt(observed, 10_000, 14_000, 1_000, 2_000)).toBeUndefined();
  });

  it('does not count a stretch with a failed task as recovered', () => {
    const observed = steady(0, 10_000, (at) => entry(at, 100, at === 2_000 ? 'FAILED' : 'COMPLETED'));
    expect(recoveredAt(observed, 0, 10_000, 1_000, 5_000)).toBe(2_250);
  });

  it('cuts the run into stretches', () => {
    const points = timeline(
      steady(0, 2_000, (at) => entry(at, at < 1_000 ? 100 : 900)),
      0,
      2_000,
      1_000,
    );
    expect(points).toEqual([
      { atS: 0, submitted: 10, accepted: 10, completed: 10, endToEndP50Ms: 100, endToEndMaxMs: 100 },
      { atS: 1, submitted: 10, accepted: 10, completed: 10, endToEndP50Ms: 900, endToEndMaxMs: 900 },
    ]);
  });
});
