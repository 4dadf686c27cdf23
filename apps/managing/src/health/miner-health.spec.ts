import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/fixtures';
import { MinerHealth } from './miner-health';

const rules = { failureThreshold: 3, openMs: 1_000, maxOpenMs: 5_000, probeTimeoutMs: 10_000 };
const miner = '3:5Dave';

function setup() {
  const clock = new ManualClock();
  return { clock, health: new MinerHealth(rules, clock.now) };
}

function fail(health: MinerHealth, times: number): void {
  for (let i = 0; i < times; i++) health.report(miner, false, 0);
}

describe('a miner circuit', () => {
  it('opens after the threshold of consecutive failures, and a success in between resets the count', () => {
    const { health } = setup();
    fail(health, 2);
    health.report(miner, true, 120);
    fail(health, 2);
    expect(health.state(miner)).toBe('closed');
    expect(health.isSelectable(miner)).toBe(true);
    fail(health, 1);
    expect(health.state(miner)).toBe('open');
    expect(health.isSelectable(miner)).toBe(false);
  });

  it('goes half-open when the backoff ends, lets exactly one probe through, and closes on its success', () => {
    const { clock, health } = setup();
    fail(health, 3);
    clock.advance(999);
    expect(health.isSelectable(miner)).toBe(false);
    clock.advance(1);
    expect(health.state(miner)).toBe('half_open');
    expect(health.isSelectable(miner)).toBe(true);
    health.selected(miner, clock.now());
    expect(health.isSelectable(miner)).toBe(false);
    health.report(miner, true, 80);
    expect(health.state(miner)).toBe('closed');
    expect(health.view(miner)).toMatchObject({ consecutiveFailures: 0, openUntil: undefined });
    // Closed again with a fresh count: it takes the full threshold to open it.
    fail(health, 2);
    expect(health.state(miner)).toBe('closed');
  });

  it('opens again for twice as long when the probe fails, up to the maximum', () => {
    const { clock, health } = setup();
    fail(health, 3);
    const backoffs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const openUntil = health.view(miner).openUntil ?? 0;
      backoffs.push(openUntil - clock.now());
      clock.nowMs = openUntil;
      expect(health.state(miner)).toBe('half_open');
      health.selected(miner, clock.now());
      health.report(miner, false, 0);
      expect(health.state(miner)).toBe('open');
    }
    expect(backoffs).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
    // A later success closes it and the backoff starts from the beginning.
    clock.nowMs = health.view(miner).openUntil ?? 0;
    health.report(miner, true, 50);
    fail(health, 3);
    expect((health.view(miner).openUntil ?? 0) - clock.now()).toBe(1_000);
  });

  it('lets another probe through when the first is not reported in time, and forgets a taken-back probe', () => {
    const { clock, health } = setup();
    fail(health, 3);
    clock.advance(1_000);
    health.selected(miner, clock.now());
    health.unselected(miner, clock.now());
    expect(health.isSelectable(miner)).toBe(true);
    health.selected(miner, clock.now());
    clock.advance(9_999);
    expect(health.isSelectable(miner)).toBe(false);
    clock.advance(1);
    expect(health.isSelectable(miner)).toBe(true);
  });

  it('ignores successes reported while open (calls made before it opened) and keeps counting', () => {
    const { health } = setup();
    fail(health, 3);
    health.report(miner, true, 100);
    expect(health.state(miner)).toBe('open');
    expect(health.view(miner)).toMatchObject({ successes: 1, failures: 3 });
  });

  it('averages the latency of successful calls and forgets a departed miner', () => {
    const { health } = setup();
    health.report(miner, true, 100);
    health.report(miner, true, 200);
    health.report(miner, false, 5_000);
    expect(health.view(miner).latencyMs).toBeCloseTo(120);
    fail(health, 3);
    health.forget(miner);
    expect(health.view(miner)).toMatchObject({ state: 'closed', successes: 0, failures: 0 });
  });
});
