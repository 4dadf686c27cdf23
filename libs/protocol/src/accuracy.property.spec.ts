import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arithmeticTaskType, solveArithmetic } from './arithmetic';
import type { ChatCompletionRequest } from './chat';
import { DeterministicReferenceModel } from './deterministic-model';
import { TaskTypeName } from './names';
import { mulberry32 } from './random';
import { extractiveSummary, summaryAccuracy } from './summarization';
import { taskTypes } from './registry';
import { computeReference, evaluateResponse } from './task-type';
import { chatCompletionOf, completionAccuracy } from './text-generation';
import { lengthPenalty, rougeL } from './text';

const text = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc
    .array(fc.constantFrom('the', 'cat', 'sat', 'on', 'mat', 'Mat.', '!', ' '), { maxLength: 60 })
    .map((words) => words.join(' ')),
);

function inUnitInterval(value: number): boolean {
  return Number.isFinite(value) && value >= 0 && value <= 1;
}

describe('accuracy functions', () => {
  it('stay in [0, 1] for arbitrary strings', () => {
    fc.assert(
      fc.property(text, text, (candidate, reference) => {
        expect(inUnitInterval(rougeL(candidate, reference))).toBe(true);
        expect(inUnitInterval(summaryAccuracy(candidate, reference))).toBe(true);
        expect(inUnitInterval(completionAccuracy(candidate, reference))).toBe(true);
      }),
    );
  });

  it('give 1 to the reference itself, and ROUGE-L is symmetric', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(rougeL(a, a)).toBe(1);
        expect(summaryAccuracy(a, a)).toBe(1);
        expect(rougeL(a, b)).toBe(rougeL(b, a));
      }),
    );
  });

  it('keep the length penalty in [0, 1]', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.nat(10_000), (candidate, reference) => {
        expect(inUnitInterval(lengthPenalty(candidate, reference))).toBe(true);
      }),
    );
  });

  it('summarise any text deterministically into sentences of the text', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 10 }), (input, count) => {
        const summary = extractiveSummary(input, count);
        expect(extractiveSummary(input, count)).toBe(summary);
        expect(inUnitInterval(summaryAccuracy(summary, summary))).toBe(true);
      }),
    );
  });

  it('score arithmetic only for the exact answer', () => {
    const integer = fc.bigInt({ min: -(10n ** 60n), max: 10n ** 60n });
    fc.assert(
      fc.property(
        integer,
        integer,
        fc.constantFrom('add' as const, 'multiply' as const),
        (a, b, operation) => {
          const request = { operation, a: a.toString(), b: b.toString() };
          const reference = solveArithmetic(request);
          expect(BigInt(reference.result)).toBe(operation === 'add' ? a + b : a * b);
          expect(arithmeticTaskType.accuracy(reference, reference, request)).toBe(1);
          const wrong = { result: (BigInt(reference.result) + 1n).toString() };
          expect(arithmeticTaskType.accuracy(wrong, reference, request)).toBe(0);
        },
      ),
    );
  });

  it('score every generated challenge of every task type in [0, 1] against its reference', async () => {
    const context = { referenceModel: new DeterministicReferenceModel() };
    const answerOf = (name: TaskTypeName, request: unknown, answer: string): unknown => {
      switch (name) {
        case TaskTypeName.Arithmetic:
          return { result: String(answer.length) };
        case TaskTypeName.Summarization:
          return { summary: answer };
        case TaskTypeName.TextGeneration:
          return chatCompletionOf(request as ChatCompletionRequest, answer);
      }
    };
    await fc.assert(
      fc.asyncProperty(fc.nat(), text, async (seed, answer) => {
        for (const taskType of taskTypes.all()) {
          const request: unknown = taskType.generate(mulberry32(seed));
          const reference = await computeReference(taskType, request, context);
          const response = answerOf(taskType.name, request, answer);
          const evaluation = evaluateResponse(taskType, { request, response, reference });
          expect(evaluation.valid && inUnitInterval(evaluation.accuracy)).toBe(true);
          expect(evaluateResponse(taskType, { request, response: reference, reference })).toEqual({
            valid: true,
            accuracy: 1,
          });
        }
      }),
      { numRuns: 50 },
    );
  });
});
