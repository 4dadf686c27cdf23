import { describe, expect, it } from 'vitest';
import {
  arithmeticRequestSchema,
  arithmeticResponseSchema,
  arithmeticTaskType,
  MAX_OPERAND_DIGITS,
  solveArithmetic,
} from './arithmetic';
import { DeterministicReferenceModel } from './deterministic-model';
import { mulberry32 } from './random';

const context = { referenceModel: new DeterministicReferenceModel() };

describe('arithmetic schemas', () => {
  it('accepts signed integers of any size up to the limit', () => {
    for (const a of ['0', '-7', '+12', '007', '9'.repeat(MAX_OPERAND_DIGITS)]) {
      expect(arithmeticRequestSchema.safeParse({ operation: 'add', a, b: '1' }).success).toBe(true);
    }
  });

  it('rejects what is not an integer, an unknown operation, or too many digits', () => {
    for (const a of ['', '-', '1.5', '1e3', ' 1', '0x10', '１', '9'.repeat(MAX_OPERAND_DIGITS + 1)]) {
      expect(arithmeticRequestSchema.safeParse({ operation: 'add', a, b: '1' }).success).toBe(false);
    }
    expect(arithmeticRequestSchema.safeParse({ operation: 'subtract', a: '1', b: '1' }).success).toBe(false);
    expect(arithmeticRequestSchema.safeParse({ operation: 'add', a: 1, b: 1 }).success).toBe(false);
    expect(arithmeticResponseSchema.safeParse({ result: 3 }).success).toBe(false);
    expect(arithmeticResponseSchema.safeParse({ result: '-3' }).success).toBe(true);
  });
});

describe('solveArithmetic', () => {
  it('adds and multiplies 40-digit operands exactly', () => {
    const a = '1234567890123456789012345678901234567890';
    const b = '9876543210987654321098765432109876543210';
    expect(solveArithmetic({ operation: 'add', a, b }).result).toBe(
      '11111111101111111110111111111011111111100',
    );
    expect(solveArithmetic({ operation: 'multiply', a, b }).result).toBe(
      '12193263113702179522618503273386678859448712086533622923332237463801111263526900',
    );
  });

  it('handles signs, leading zeros and zero', () => {
    expect(solveArithmetic({ operation: 'add', a: '-40000000000000000000', b: '+1' }).result).toBe(
      '-39999999999999999999',
    );
    expect(solveArithmetic({ operation: 'multiply', a: '-3', b: '-0004' }).result).toBe('12');
    expect(
      solveArithmetic({ operation: 'multiply', a: '-123456789012345678901234567890', b: '0' }).result,
    ).toBe('0');
  });
});

describe('arithmetic task type', () => {
  it('scores 1 for the exact answer in any spelling and 0 otherwise', async () => {
    const request = { operation: 'add' as const, a: '12345678901234567891', b: '1' };
    const reference = await arithmeticTaskType.reference(request, context);
    expect(reference.result).toBe('12345678901234567892');
    expect(arithmeticTaskType.accuracy({ result: '+0012345678901234567892' }, reference, request)).toBe(1);
    // The answer of a miner that computes in floating point.
    const float = String(Number(request.a) + Number(request.b));
    expect(float).toBe('12345678901234567000');
    expect(arithmeticTaskType.accuracy({ result: float }, reference, request)).toBe(0);
    expect(arithmeticTaskType.accuracy({ result: '-12345678901234567892' }, reference, request)).toBe(0);
  });

  it('generates the same valid challenges for the same seed, with operands of varying size', () => {
    const generate = (seed: number) => {
      const random = mulberry32(seed);
      return Array.from({ length: 200 }, () => arithmeticTaskType.generate(random));
    };
    const challenges = generate(11);
    expect(generate(11)).toEqual(challenges);
    expect(generate(12)).not.toEqual(challenges);
    for (const challenge of challenges) expect(arithmeticRequestSchema.parse(challenge)).toEqual(challenge);
    const lengths = challenges.map(({ a }) => a.replace('-', '').length);
    expect(Math.min(...lengths)).toBeLessThanOrEqual(4);
    expect(Math.max(...lengths)).toBeGreaterThan(18);
    expect(challenges.some(({ a }) => a.startsWith('-'))).toBe(true);
    expect(new Set(challenges.map(({ operation }) => operation))).toEqual(new Set(['add', 'multiply']));
  });
});
