import {
  type BuiltInTaskType,
  computeReference,
  DeterministicReferenceModel,
  evaluateResponse,
  mulberry32,
  type RandomSource,
  type ReferenceContext,
  TaskTypeName,
  taskTypes,
} from '@vstack/protocol';
import { RequestError } from '@vstack/runtime';
import { describe, expect, it } from 'vitest';
import { type DemoMinerBehaviour, DemoMinerService } from './demo-miner.service';
import { DemoMinerError, DemoMinerErrorCode } from './errors';
import { GarbageAnswer, GarbageKind, garbageKinds } from './garbage-answers';
import type { Sleeper } from './ports';

const context: ReferenceContext = { referenceModel: new DeterministicReferenceModel() };
const honest: DemoMinerBehaviour = {
  errorRate: 0,
  failureRate: 0,
  garbageRate: 0,
  latencyMs: 0,
  latencyJitterMs: 0,
};

class RecordingSleeper implements Sleeper {
  readonly slept: number[] = [];
  sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    return Promise.resolve();
  }
}

/** Plays back fixed draws, then 0.5 forever. */
function scripted(...draws: number[]): RandomSource {
  return () => draws.shift() ?? 0.5;
}

function miner(behaviour: Partial<DemoMinerBehaviour>, random: RandomSource = mulberry32(7)) {
  const sleeper = new RecordingSleeper();
  const service = new DemoMinerService({ ...honest, ...behaviour }, random, sleeper, context);
  return { service, sleeper };
}

/** Counts the draws taken from a source. */
function counting(random: RandomSource): { random: RandomSource; draws: () => number } {
  let draws = 0;
  return {
    random: () => {
      draws += 1;
      return random();
    },
    draws: () => draws,
  };
}

/**
 * Why the validator could not take a garbage answer's body: it is not JSON, or not of the response schema.
 * Throws when the body is a valid answer.
 */
function refusalOf(taskType: BuiltInTaskType, garbage: GarbageAnswer): 'not_json' | 'not_schema' {
  let json: unknown;
  try {
    json = JSON.parse(garbage.bytes.toString('utf8'));
  } catch {
    return 'not_json';
  }
  if (taskType.responseSchema.safeParse(json).success) throw new Error('a garbage answer is a valid answer');
  return 'not_schema';
}

/** Accuracy of an answer per the protocol, against the validator's own reference; NaN when out of schema. */
async function accuracyOf(taskType: BuiltInTaskType, request: unknown, answer: unknown): Promise<number> {
  const reference = await computeReference(taskType, request, context);
  const evaluation = evaluateResponse(taskType, { request, response: answer, reference });
  return evaluation.valid ? evaluation.accuracy : Number.NaN;
}

describe('DemoMinerService', () => {
  for (const taskType of taskTypes.all()) {
    it(`answers ${taskType.name} exactly with error rate 0`, async () => {
      const { service } = miner({ errorRate: 0 });
      const challenges = mulberry32(11);
      for (let i = 0; i < 25; i += 1) {
        const request = taskType.generate(challenges);
        const answer = await service.answer(taskType, request);
        expect(await accuracyOf(taskType, request, answer)).toBe(1);
      }
    });

    it(`answers ${taskType.name} wrongly, but in schema, with error rate 1`, async () => {
      const { service } = miner({ errorRate: 1 });
      const challenges = mulberry32(12);
      for (let i = 0; i < 25; i += 1) {
        const request = taskType.generate(challenges);
        const answer = await service.answer(taskType, request);
        expect(await accuracyOf(taskType, request, answer)).toBeLessThan(1);
      }
    });
  }

  it('gets arithmetic wrong by exactly one', async () => {
    const { service } = miner({ errorRate: 1 });
    const answer = await service.answer(taskTypes.get(TaskTypeName.Arithmetic), {
      operation: 'multiply',
      a: '123456789012345678901234567890',
      b: '-3',
    });
    const right = -370370367037037036703703703670n;
    const wrong = BigInt((answer as { result: string }).result);
    expect([right - 1n, right + 1n]).toContain(wrong);
  });

  it('spoils about the configured share of answers, the same way for the same seed', async () => {
    const taskType = taskTypes.get(TaskTypeName.Arithmetic);
    const run = async () => {
      const { service } = miner({ errorRate: 0.3 }, mulberry32(99));
      const challenges = mulberry32(5);
      const outcomes: number[] = [];
      for (let i = 0; i < 400; i += 1) {
        const request = taskType.generate(challenges);
        outcomes.push(await accuracyOf(taskType, request, await service.answer(taskType, request)));
      }
      return outcomes;
    };
    const first = await run();
    const wrong = first.filter((accuracy) => accuracy < 1).length;
    expect(wrong).toBeGreaterThan(80);
    expect(wrong).toBeLessThan(160);
    expect(await run()).toEqual(first);
  });

  it('fails with a 500 on the failure roll and answers otherwise', async () => {
    const taskType = taskTypes.get(TaskTypeName.Arithmetic);
    const request = { operation: 'add', a: '2', b: '2' };
    const failing = miner({ failureRate: 0.3 }, scripted(0.29));
    const error = await failing.service.answer(taskType, request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DemoMinerError);
    expect(error).toMatchObject({ code: DemoMinerErrorCode.InjectedFailure, httpStatus: 500 });
    const answering = miner({ failureRate: 0.3 }, scripted(0.3));
    await expect(answering.service.answer(taskType, request)).resolves.toEqual({ result: '4' });
    const always = miner({ failureRate: 1 });
    await expect(always.service.answer(taskType, request)).rejects.toMatchObject({ httpStatus: 500 });
  });

  it('adds the base latency plus the jitter draw through the sleeper, and none when both are 0', async () => {
    const taskType = taskTypes.get(TaskTypeName.Arithmetic);
    const request = { operation: 'add', a: '1', b: '1' };
    // Draws: failure, error, then jitter: 0.5 of [0, 50] is 25.
    const slow = miner({ latencyMs: 100, latencyJitterMs: 50 }, scripted(0.9, 0.9, 0.5));
    await slow.service.answer(taskType, request);
    expect(slow.sleeper.slept).toEqual([125]);
    const failing = miner({ latencyMs: 40, failureRate: 1 });
    await expect(failing.service.answer(taskType, request)).rejects.toBeInstanceOf(DemoMinerError);
    expect(failing.sleeper.slept).toEqual([40]);
    const fast = miner({});
    await fast.service.answer(taskType, request);
    expect(fast.sleeper.slept).toEqual([]);
  });

  it('answers every task type with garbage of every kind at garbage rate 1, none of it a valid answer', async () => {
    for (const taskType of taskTypes.all()) {
      const { service } = miner({ garbageRate: 1 }, mulberry32(21));
      const challenges = mulberry32(22);
      const kinds = new Set<GarbageKind>();
      for (let i = 0; i < 30; i += 1) {
        const request = taskType.generate(challenges);
        const answer = await service.answer(taskType, request);
        expect(answer).toBeInstanceOf(GarbageAnswer);
        const garbage = answer as GarbageAnswer;
        kinds.add(garbage.kind);
        const reference = Buffer.from(JSON.stringify(await computeReference(taskType, request, context)));
        switch (garbage.kind) {
          case GarbageKind.NotJson:
            expect(refusalOf(taskType, garbage)).toBe('not_json');
            break;
          case GarbageKind.WrongShape:
            expect(refusalOf(taskType, garbage)).toBe('not_schema');
            break;
          case GarbageKind.Truncated:
            expect(refusalOf(taskType, garbage)).toBe('not_json');
            expect(garbage.bytes.length).toBeGreaterThan(0);
            expect(garbage.bytes.length).toBeLessThan(reference.length);
            expect(reference.subarray(0, garbage.bytes.length)).toEqual(garbage.bytes);
            break;
        }
      }
      expect([...kinds].sort()).toEqual([...garbageKinds].sort());
    }
  });

  it('sends both wrong shapes: an array and an object of unknown fields', async () => {
    const taskType = taskTypes.get(TaskTypeName.Arithmetic);
    const request = { operation: 'add', a: '2', b: '2' };
    // Draws: failure, error, jitter, garbage, the kind (1/3 is the wrong shape), then the shape.
    const array = miner({ garbageRate: 1 }, scripted(0.9, 0.9, 0, 0, 0.5, 0.2));
    const object = miner({ garbageRate: 1 }, scripted(0.9, 0.9, 0, 0, 0.5, 0.7));
    const parse = async (service: DemoMinerService) =>
      JSON.parse(
        ((await service.answer(taskType, request)) as GarbageAnswer).bytes.toString('utf8'),
      ) as unknown;
    expect(await parse(array.service)).toEqual([{ result: '4' }]);
    expect(await parse(object.service)).toEqual({ unexpected: true });
  });

  it('garbles on the garbage roll, after a failure and before a wrong answer', async () => {
    const taskType = taskTypes.get(TaskTypeName.Arithmetic);
    const request = { operation: 'add', a: '2', b: '2' };
    // Draws: failure, error, jitter, then garbage.
    const garbled = miner({ garbageRate: 0.3 }, scripted(0.9, 0.9, 0, 0.29));
    await expect(garbled.service.answer(taskType, request)).resolves.toBeInstanceOf(GarbageAnswer);
    const answering = miner({ garbageRate: 0.3 }, scripted(0.9, 0.9, 0, 0.3));
    await expect(answering.service.answer(taskType, request)).resolves.toEqual({ result: '4' });
    const failing = miner({ failureRate: 1, garbageRate: 1, errorRate: 1 });
    await expect(failing.service.answer(taskType, request)).rejects.toMatchObject({
      code: DemoMinerErrorCode.InjectedFailure,
    });
    const notWrong = miner({ garbageRate: 1, errorRate: 1 });
    await expect(notWrong.service.answer(taskType, request)).resolves.toBeInstanceOf(GarbageAnswer);
  });

  it('garbles the same way for the same seed', async () => {
    const taskType = taskTypes.get(TaskTypeName.Summarization);
    const run = async () => {
      const { service } = miner({ garbageRate: 0.5, errorRate: 0.2 }, mulberry32(31));
      const challenges = mulberry32(32);
      const answers: unknown[] = [];
      for (let i = 0; i < 40; i += 1)
        answers.push(await service.answer(taskType, taskType.generate(challenges)));
      return answers;
    };
    const first = await run();
    const garbled = first.filter((answer) => answer instanceof GarbageAnswer).length;
    expect(garbled).toBeGreaterThan(8);
    expect(garbled).toBeLessThan(32);
    expect(await run()).toEqual(first);
  });

  it('at garbage rate 0 answers as before: three draws per request, never garbage', async () => {
    for (const taskType of taskTypes.all()) {
      const source = counting(mulberry32(41));
      const { service } = miner({ garbageRate: 0 }, source.random);
      const challenges = mulberry32(42);
      for (let i = 0; i < 10; i += 1) {
        const request = taskType.generate(challenges);
        const answer = await service.answer(taskType, request);
        expect(answer).toEqual(await computeReference(taskType, request, context));
      }
      expect(source.draws()).toBe(30);
    }
  });

  it('refuses a body that does not match the task type with a 400 naming the field', async () => {
    const { service } = miner({});
    const error = await service
      .answer(taskTypes.get(TaskTypeName.Arithmetic), { operation: 'divide', a: '1', b: 'x' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RequestError);
    expect(error).toMatchObject({ httpStatus: 400 });
    expect((error as RequestError).message).toContain('operation');
    expect((error as RequestError).message).toContain('b:');
  });

  it('looks task types up by name and answers 404 for unknown ones', () => {
    const { service } = miner({});
    expect(service.taskType('summarization').name).toBe(TaskTypeName.Summarization);
    expect(() => service.taskType('translation')).toThrow(
      expect.objectContaining({ code: DemoMinerErrorCode.UnknownTaskType, httpStatus: 404 }),
    );
  });

  it('takes the /inference task type from the header or the task_type field', () => {
    const { service } = miner({});
    expect(service.inferenceTaskType('arithmetic', {}).name).toBe(TaskTypeName.Arithmetic);
    expect(service.inferenceTaskType(undefined, { task_type: 'text-generation' }).name).toBe(
      TaskTypeName.TextGeneration,
    );
    expect(service.inferenceTaskType('arithmetic', { task_type: 'arithmetic' }).name).toBe(
      TaskTypeName.Arithmetic,
    );
    for (const [header, body] of [
      [undefined, {}],
      [undefined, null],
      ['', { task_type: 7 }],
      ['arithmetic', { task_type: 'summarization' }],
    ] as const) {
      expect(() => service.inferenceTaskType(header, body)).toThrow(
        expect.objectContaining({ code: DemoMinerErrorCode.MissingTaskType, httpStatus: 400 }),
      );
    }
    expect(() => service.inferenceTaskType(undefined, { task_type: 'nope' })).toThrow(
      expect.objectContaining({ code: DemoMinerErrorCode.UnknownTaskType }),
    );
  });
});
