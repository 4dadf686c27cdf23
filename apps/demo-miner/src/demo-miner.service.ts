import { Inject, Injectable } from '@nestjs/common';
import type { DemoMinerConfig } from '@vstack/config';
import {
  type BuiltInTaskType,
  type RandomSource,
  randomInt,
  type ReferenceContext,
  type TaskType,
  TaskTypeName,
  taskTypes,
} from '@vstack/protocol';
import { ZodValidationPipe } from '@vstack/runtime';
import { DemoMinerError, DemoMinerErrorCode } from './errors';
import { type GarbageAnswer, garbageAnswer } from './garbage-answers';
import {
  DEMO_MINER_BEHAVIOUR,
  DEMO_MINER_RANDOM,
  DEMO_MINER_REFERENCE,
  DEMO_MINER_SLEEPER,
  type Sleeper,
} from './ports';
import { type WrongAnswer, wrongArithmetic, wrongCompletion, wrongSummary } from './wrong-answers';

/** How good a miner the demo miner plays. */
export interface DemoMinerBehaviour {
  /** Share of answers that are wrong on purpose, in [0, 1]. */
  errorRate: number;
  /** Share of requests answered with a 500, in [0, 1]. */
  failureRate: number;
  /** Share of requests answered 200 with a body that is not an answer, in [0, 1]. */
  garbageRate: number;
  /** Latency added to every answer, in ms. */
  latencyMs: number;
  /** Extra latency, uniform in [0, latencyJitterMs], in ms. */
  latencyJitterMs: number;
}

/** The behaviour a config asks for. */
export function behaviourFrom(config: DemoMinerConfig): DemoMinerBehaviour {
  return {
    errorRate: config.DEMO_MINER_ERROR_RATE,
    failureRate: config.DEMO_MINER_FAILURE_RATE,
    garbageRate: config.DEMO_MINER_GARBAGE_RATE,
    latencyMs: config.DEMO_MINER_LATENCY_MS,
    latencyJitterMs: config.DEMO_MINER_LATENCY_JITTER_MS,
  };
}

/** The header `POST /inference` reads the task type from. */
export const TASK_TYPE_HEADER = 'x-task-type';
/** The body field `POST /inference` reads the task type from. */
export const TASK_TYPE_FIELD = 'task_type';

/**
 * Answers task requests with the protocol's reference answers, failed, garbled, spoiled and delayed as configured.
 * One request gets at most one misbehaviour, the first of: a 500 (failure rate), a 200 that is not an answer
 * (garbage rate), a well-formed wrong answer (error rate).
 */
@Injectable()
export class DemoMinerService {
  constructor(
    @Inject(DEMO_MINER_BEHAVIOUR) private readonly behaviour: DemoMinerBehaviour,
    @Inject(DEMO_MINER_RANDOM) private readonly random: RandomSource,
    @Inject(DEMO_MINER_SLEEPER) private readonly sleeper: Sleeper,
    @Inject(DEMO_MINER_REFERENCE) private readonly context: ReferenceContext,
  ) {}

  /** The served task type of a name from a path or a request; 404 when there is none. */
  taskType(name: string): BuiltInTaskType {
    if (!taskTypes.has(name)) {
      throw new DemoMinerError(
        DemoMinerErrorCode.UnknownTaskType,
        `unknown task type ${JSON.stringify(name)}; served: ${taskTypes.names.join(', ')}`,
      );
    }
    return taskTypes.require(name);
  }

  /** The task type of a `POST /inference` request: the header, else the body's `task_type` field. */
  inferenceTaskType(header: string | undefined, body: unknown): BuiltInTaskType {
    const field =
      typeof body === 'object' && body !== null && TASK_TYPE_FIELD in body
        ? (body as Record<string, unknown>)[TASK_TYPE_FIELD]
        : undefined;
    if (field !== undefined && typeof field !== 'string') {
      throw new DemoMinerError(DemoMinerErrorCode.MissingTaskType, `${TASK_TYPE_FIELD} must be a string`);
    }
    const fromHeader = header?.trim() === '' ? undefined : header?.trim();
    if (fromHeader !== undefined && field !== undefined && fromHeader !== field) {
      throw new DemoMinerError(
        DemoMinerErrorCode.MissingTaskType,
        `the ${TASK_TYPE_HEADER} header (${fromHeader}) and the ${TASK_TYPE_FIELD} field (${field}) disagree`,
      );
    }
    const name = fromHeader ?? field;
    if (name === undefined) {
      throw new DemoMinerError(
        DemoMinerErrorCode.MissingTaskType,
        `name the task type in the ${TASK_TYPE_HEADER} header or the ${TASK_TYPE_FIELD} body field`,
      );
    }
    return this.taskType(name);
  }

  /**
   * Validates a request of the named task type (400) and answers it: the answer, a wrong one, a `GarbageAnswer`
   * whose bytes go out as they are, or a failure on purpose (500).
   */
  answer(taskType: BuiltInTaskType, body: unknown): Promise<unknown> {
    switch (taskType.name) {
      case TaskTypeName.Arithmetic:
        return this.answerWith(taskType, body, wrongArithmetic);
      case TaskTypeName.Summarization:
        return this.answerWith(taskType, body, wrongSummary);
      case TaskTypeName.TextGeneration:
        return this.answerWith(taskType, body, wrongCompletion);
    }
  }

  private async answerWith<Req, Res extends object>(
    taskType: TaskType<Req, Res>,
    body: unknown,
    wrong: WrongAnswer<Req, Res>,
  ): Promise<Res | GarbageAnswer> {
    const request = new ZodValidationPipe(taskType.requestSchema).transform(body);
    // The same draws for every request, so a seeded run repeats whatever the outcome. The garbage roll comes
    // last and only when garbage is asked for: a seeded run without garbage keeps its three draws per request.
    const fails = this.random() < this.behaviour.failureRate;
    const spoiled = this.random() < this.behaviour.errorRate;
    const jitter = randomInt(this.random, 0, this.behaviour.latencyJitterMs);
    const garbled = this.behaviour.garbageRate > 0 && this.random() < this.behaviour.garbageRate;
    const latency = this.behaviour.latencyMs + jitter;
    if (latency > 0) await this.sleeper.sleep(latency);
    if (fails) {
      throw new DemoMinerError(
        DemoMinerErrorCode.InjectedFailure,
        'failed on purpose (DEMO_MINER_FAILURE_RATE)',
      );
    }
    const reference = await taskType.reference(request, this.context);
    if (garbled) return garbageAnswer(reference, this.random);
    return spoiled ? wrong(request, reference, this.random, this.context) : reference;
  }
}
