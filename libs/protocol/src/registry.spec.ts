import { describe, expect, expectTypeOf, it } from 'vitest';
import { arithmeticTaskType } from './arithmetic';
import { DeterministicReferenceModel } from './deterministic-model';
import { ProtocolErrorCode } from './errors';
import { TaskTypeName } from './names';
import {
  type TaskRequest,
  type TaskResponse,
  taskTypeNameSchema,
  TaskTypeRegistry,
  taskTypes,
} from './registry';
import { summarizationTaskType } from './summarization';
import {
  computeReference,
  evaluateResponse,
  type ParsedTaskResponse,
  parseTaskRequest,
  parseTaskResponse,
} from './task-type';

const context = { referenceModel: new DeterministicReferenceModel() };

describe('task type registry', () => {
  it('holds the built-in task types under their stored names', () => {
    expect(taskTypes.names).toEqual(['arithmetic', 'summarization', 'text-generation']);
    expect(taskTypes.get(TaskTypeName.Arithmetic)).toBe(arithmeticTaskType);
    expect(taskTypes.require('summarization')).toBe(summarizationTaskType);
    expect(taskTypes.has('text-generation')).toBe(true);
    expect(taskTypes.has('image')).toBe(false);
  });

  it('types a lookup by name', () => {
    const taskType = taskTypes.get(TaskTypeName.Summarization);
    expectTypeOf<ReturnType<typeof taskType.generate>>().toEqualTypeOf<
      TaskRequest<TaskTypeName.Summarization>
    >();
    expectTypeOf(parseTaskRequest(taskType, { text: 'Hi.' })).toEqualTypeOf<{
      text: string;
      sentences?: number;
    }>();
    // A name from outside gives the union, which narrows by name.
    const fromQueue = taskTypes.require('arithmetic');
    expectTypeOf(parseTaskResponse(fromQueue, {})).toEqualTypeOf<
      ParsedTaskResponse<TaskResponse<TaskTypeName>>
    >();
    if (fromQueue.name === TaskTypeName.Arithmetic) {
      expectTypeOf(fromQueue.generate(Math.random).operation).toEqualTypeOf<'add' | 'multiply'>();
    }
    expectTypeOf<TaskRequest<TaskTypeName.Arithmetic>['operation']>().toEqualTypeOf<'add' | 'multiply'>();
    expectTypeOf<TaskResponse<TaskTypeName.TextGeneration>['choices']>().toBeArray();
  });

  it('throws a typed error for an unknown name', () => {
    expect(() => taskTypes.require('image-generation')).toThrow(
      expect.objectContaining({
        code: ProtocolErrorCode.UnknownTaskType,
        httpStatus: 400,
        message: expect.stringContaining('known: arithmetic, summarization, text-generation'),
      }),
    );
  });

  it('refuses two task types of one name', () => {
    expect(() => new TaskTypeRegistry([arithmeticTaskType, arithmeticTaskType])).toThrow(
      expect.objectContaining({ code: ProtocolErrorCode.DuplicateTaskType }),
    );
  });

  it('gives every task type a positive timeout, a floor below it and a price', () => {
    for (const taskType of taskTypes.all()) {
      expect(taskType.latencyFloorMs).toBeGreaterThan(0);
      expect(taskType.timeoutMs).toBeGreaterThan(taskType.latencyFloorMs);
      expect(Number.isInteger(taskType.priceCredits) && taskType.priceCredits > 0).toBe(true);
    }
  });

  it('validates task type names from config', () => {
    expect(taskTypeNameSchema.parse('text-generation')).toBe(TaskTypeName.TextGeneration);
    expect(taskTypeNameSchema.safeParse('text').success).toBe(false);
  });
});

describe('working with unchecked data', () => {
  const request = { operation: 'multiply', a: '-12', b: '12' };

  it('validates a request, listing every issue', () => {
    expect(parseTaskRequest(arithmeticTaskType, request)).toEqual(request);
    expect(() => parseTaskRequest(arithmeticTaskType, { operation: 'divide', a: 1 })).toThrow(
      expect.objectContaining({
        code: ProtocolErrorCode.InvalidRequest,
        details: {
          issues: [
            expect.stringMatching(/^operation:/),
            expect.stringMatching(/^a:/),
            expect.stringMatching(/^b:/),
          ],
        },
      }),
    );
  });

  it('reports an invalid response instead of throwing', () => {
    expect(parseTaskResponse(arithmeticTaskType, { result: '-144' })).toEqual({
      valid: true,
      response: { result: '-144' },
    });
    const invalid = parseTaskResponse(arithmeticTaskType, { answer: '-144' });
    expect(invalid.valid).toBe(false);
  });

  it('computes a reference and evaluates responses against it', async () => {
    const taskType = taskTypes.require('arithmetic');
    const reference = await computeReference(taskType, request, context);
    expect(reference).toEqual({ result: '-144' });
    expect(evaluateResponse(taskType, { request, response: { result: '-144' }, reference })).toEqual({
      valid: true,
      accuracy: 1,
    });
    expect(evaluateResponse(taskType, { request, response: { result: '144' }, reference })).toEqual({
      valid: true,
      accuracy: 0,
    });
    expect(evaluateResponse(taskType, { request, response: null, reference })).toMatchObject({
      valid: false,
    });
  });

  it('throws when the validator’s own request or reference is broken', async () => {
    await expect(computeReference(arithmeticTaskType, { a: '1' }, context)).rejects.toMatchObject({
      code: ProtocolErrorCode.InvalidRequest,
    });
    expect(() =>
      evaluateResponse(arithmeticTaskType, { request, response: { result: '1' }, reference: { result: 1 } }),
    ).toThrow(expect.objectContaining({ code: ProtocolErrorCode.InvalidReference }));
  });
});
