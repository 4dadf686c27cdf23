import { z } from 'zod';
import { TaskTypeName } from './names';
import { type RandomSource, randomInt } from './random';
import type { TaskType } from './task-type';

/** Most digits an operand may have; bounds the cost of a request. */
export const MAX_OPERAND_DIGITS = 1_000;

const integerString = z
  .string()
  .regex(new RegExp(`^[+-]?\\d{1,${MAX_OPERAND_DIGITS}}$`), 'must be an integer in decimal digits');

export const arithmeticRequestSchema = z.object({
  operation: z.enum(['add', 'multiply']),
  /** Decimal integers of any size, with an optional sign. */
  a: integerString,
  b: integerString,
});

export const arithmeticResponseSchema = z.object({
  /** The exact result in decimal digits, with an optional sign. */
  result: z
    .string()
    .max(2 * MAX_OPERAND_DIGITS + 2)
    .regex(/^[+-]?\d+$/, 'must be an integer in decimal digits'),
});

export type ArithmeticRequest = z.output<typeof arithmeticRequestSchema>;
export type ArithmeticResponse = z.output<typeof arithmeticResponseSchema>;
export type ArithmeticOperation = ArithmeticRequest['operation'];

/** The exact answer to an arithmetic request, in canonical form (no `+`, no leading zeros). */
export function solveArithmetic(request: ArithmeticRequest): ArithmeticResponse {
  const a = BigInt(request.a);
  const b = BigInt(request.b);
  switch (request.operation) {
    case 'add':
      return { result: (a + b).toString() };
    case 'multiply':
      return { result: (a * b).toString() };
  }
}

function randomOperand(random: RandomSource): string {
  // Mostly small numbers, with a fair share beyond what a float can hold exactly.
  const size = random();
  const digits =
    size < 0.4 ? randomInt(random, 1, 4) : size < 0.7 ? randomInt(random, 5, 18) : randomInt(random, 19, 80);
  let value = String(randomInt(random, digits === 1 ? 0 : 1, 9));
  while (value.length < digits) value += String(randomInt(random, 0, 9));
  return random() < 0.3 && value !== '0' ? `-${value}` : value;
}

/** Adds or multiplies two integers of any size; only the exact answer counts. */
export const arithmeticTaskType: TaskType<ArithmeticRequest, ArithmeticResponse, TaskTypeName.Arithmetic> = {
  name: TaskTypeName.Arithmetic,
  description: 'Add or multiply two integers of any size, given as decimal strings.',
  requestSchema: arithmeticRequestSchema,
  responseSchema: arithmeticResponseSchema,
  timeoutMs: 2_000,
  latencyFloorMs: 100,
  priceCredits: 1,
  generate(random) {
    return {
      operation: random() < 0.5 ? 'add' : 'multiply',
      a: randomOperand(random),
      b: randomOperand(random),
    };
  },
  reference(request) {
    return Promise.resolve(solveArithmetic(request));
  },
  accuracy(response, reference) {
    return BigInt(response.result) === BigInt(reference.result) ? 1 : 0;
  },
};
