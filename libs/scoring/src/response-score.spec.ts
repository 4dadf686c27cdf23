import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScoringErrorCode } from './errors';
import { combinedScore, scoreResponse, scoringProfile, speedScore } from './response-score';

const profile = scoringProfile({ floorMs: 100, timeoutMs: 2_100 });

describe('scoringProfile', () => {
  it('defaults to 0.7 accuracy, 0.3 speed and a linear curve', () => {
    expect(profile).toEqual({
      accuracyWeight: 0.7,
      speedWeight: 0.3,
      floorMs: 100,
      timeoutMs: 2_100,
      speedExponent: 1,
    });
  });

  it('normalises the two weights to sum to 1', () => {
    const custom = scoringProfile({ floorMs: 0, timeoutMs: 10, accuracyWeight: 3, speedWeight: 1 });
    expect(custom.accuracyWeight).toBe(0.75);
    expect(custom.speedWeight).toBe(0.25);
  });

  it('refuses options that cannot work', () => {
    const invalid = [
      { floorMs: 100, timeoutMs: 100 },
      { floorMs: -1, timeoutMs: 100 },
      { floorMs: 0, timeoutMs: Number.NaN },
      { floorMs: 0, timeoutMs: 100, accuracyWeight: 0, speedWeight: 0 },
      { floorMs: 0, timeoutMs: 100, speedWeight: -0.1 },
      { floorMs: 0, timeoutMs: 100, speedExponent: 0 },
    ];
    for (const options of invalid) {
      expect(() => scoringProfile(options)).toThrow(
        expect.objectContaining({ code: ScoringErrorCode.InvalidOptions }),
      );
    }
  });
});

describe('speedScore', () => {
  it('is 1 up to the floor, 0 from the timeout and linear in between', () => {
    expect(speedScore(0, profile)).toBe(1);
    expect(speedScore(-50, profile)).toBe(1);
    expect(speedScore(100, profile)).toBe(1);
    expect(speedScore(600, profile)).toBe(0.75);
    expect(speedScore(1_100, profile)).toBe(0.5);
    expect(speedScore(2_100, profile)).toBe(0);
    expect(speedScore(Number.POSITIVE_INFINITY, profile)).toBe(0);
  });

  it('bends with the exponent', () => {
    const convex = scoringProfile({ floorMs: 100, timeoutMs: 2_100, speedExponent: 2 });
    expect(speedScore(1_100, convex)).toBe(0.25);
  });

  it('refuses a NaN latency', () => {
    expect(() => speedScore(Number.NaN, profile)).toThrow(
      expect.objectContaining({ code: ScoringErrorCode.InvalidInput }),
    );
  });

  it('never increases with latency and stays in [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.double({ min: 0.25, max: 4, noNaN: true }),
        fc.double({ min: -1_000, max: 100_000, noNaN: true }),
        fc.double({ min: -1_000, max: 100_000, noNaN: true }),
        (floorMs, span, speedExponent, x, y) => {
          const curve = scoringProfile({ floorMs, timeoutMs: floorMs + span, speedExponent });
          const [faster, slower] = x <= y ? [x, y] : [y, x];
          const fast = speedScore(faster, curve);
          expect(fast).toBeGreaterThanOrEqual(speedScore(slower, curve));
          expect(fast >= 0 && fast <= 1).toBe(true);
        },
      ),
    );
  });
});

describe('combinedScore and scoreResponse', () => {
  it('weighs accuracy 0.7 and speed 0.3 by default', () => {
    expect(combinedScore(1, 1, profile)).toBe(1);
    expect(combinedScore(1, 0, profile)).toBe(0.7);
    expect(combinedScore(0, 1, profile)).toBe(0.3);
    expect(combinedScore(0.5, 0.5, profile)).toBeCloseTo(0.5, 12);
  });

  it('scores an answer by accuracy and speed', () => {
    expect(scoreResponse({ status: 'answered', accuracy: 1, latencyMs: 1_100 }, profile)).toEqual({
      status: 'answered',
      accuracy: 1,
      speed: 0.5,
      combined: 0.85,
    });
    // A fast wrong answer still earns the speed share: accuracy is what separates miners.
    expect(scoreResponse({ status: 'answered', accuracy: 0, latencyMs: 50 }, profile).combined).toBe(0.3);
  });

  it('scores no response, an invalid response and a timeout 0', () => {
    for (const status of ['no_response', 'invalid', 'timeout'] as const) {
      expect(scoreResponse({ status }, profile)).toEqual({ status, accuracy: 0, speed: 0, combined: 0 });
    }
    expect(scoreResponse({ status: 'answered', accuracy: 1, latencyMs: 2_100 }, profile)).toEqual({
      status: 'timeout',
      accuracy: 0,
      speed: 0,
      combined: 0,
    });
  });

  it('refuses an accuracy outside [0, 1]', () => {
    expect(() => scoreResponse({ status: 'answered', accuracy: 1.01, latencyMs: 0 }, profile)).toThrow(
      /accuracy must be a number in \[0, 1\]/,
    );
    expect(() => combinedScore(Number.NaN, 0, profile)).toThrow(
      expect.objectContaining({ code: ScoringErrorCode.InvalidInput }),
    );
  });

  it('keeps the combined score in [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 100_000, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (accuracy, latencyMs, accuracyWeight, speedWeight) => {
          fc.pre(accuracyWeight + speedWeight > 0);
          const custom = scoringProfile({ floorMs: 100, timeoutMs: 30_000, accuracyWeight, speedWeight });
          const { combined } = scoreResponse({ status: 'answered', accuracy, latencyMs }, custom);
          expect(combined >= 0 && combined <= 1).toBe(true);
        },
      ),
    );
  });
});
