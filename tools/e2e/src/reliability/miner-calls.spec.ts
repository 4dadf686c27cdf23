import { describe, expect, it } from 'vitest';
import { minerCallsBetween, minerCallsByOutcome } from './miner-calls';

const exposition = [
  '# HELP vstack_validator_miner_requests_total Miner requests.',
  '# TYPE vstack_validator_miner_requests_total counter',
  'vstack_validator_miner_requests_total{purpose="organic",task_type="arithmetic",outcome="ok"} 40',
  'vstack_validator_miner_requests_total{purpose="synthetic",task_type="arithmetic",outcome="ok"} 2',
  'vstack_validator_miner_requests_total{purpose="organic",task_type="arithmetic",outcome="invalid"} 7',
  'vstack_validator_miner_requests_total_created{purpose="organic",task_type="arithmetic",outcome="ok"} 1700000000',
  'vstack_validator_tasks_total{purpose="organic",task_type="arithmetic",outcome="ok"} 42',
].join('\n');

describe('minerCallsByOutcome', () => {
  it('sums the counter over purposes and task types, ignoring other metrics', () => {
    expect(minerCallsByOutcome(exposition)).toEqual({ ok: 42, invalid: 7 });
  });

  it('reads nothing from an exposition without the counter', () => {
    expect(minerCallsByOutcome('# nothing here\nvstack_up 1\n')).toEqual({});
  });
});

describe('minerCallsBetween', () => {
  it('gives the calls made between two readings, outcomes without any left out', () => {
    expect(minerCallsBetween({ ok: 10, invalid: 1 }, { ok: 25, invalid: 1, timeout: 3 })).toEqual({
      ok: 15,
      timeout: 3,
    });
  });

  it('gives nothing when the counters began again (a restart) or a reading is missing', () => {
    expect(minerCallsBetween({ ok: 100 }, { ok: 5 })).toBeUndefined();
    expect(minerCallsBetween(undefined, { ok: 5 })).toBeUndefined();
    expect(minerCallsBetween({ ok: 5 }, undefined)).toBeUndefined();
  });
});
