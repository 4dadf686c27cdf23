import { z } from 'zod';
import { arithmeticTaskType } from './arithmetic';
import { ProtocolError, ProtocolErrorCode } from './errors';
import { TaskTypeName } from './names';
import { summarizationTaskType } from './summarization';
import type { AnyTaskType, RequestOf, ResponseOf } from './task-type';
import { textGenerationTaskType } from './text-generation';

/** A set of task types looked up by name. */
export class TaskTypeRegistry<T extends AnyTaskType> {
  private readonly byName = new Map<string, T>();

  constructor(taskTypes: readonly T[]) {
    for (const taskType of taskTypes) {
      if (this.byName.has(taskType.name)) {
        throw new ProtocolError(
          ProtocolErrorCode.DuplicateTaskType,
          `task type ${taskType.name} is registered twice`,
        );
      }
      this.byName.set(taskType.name, taskType);
    }
  }

  /** The registered names, in registration order. */
  get names(): T['name'][] {
    return [...this.byName.keys()];
  }

  /** Every registered task type, in registration order. */
  all(): T[] {
    return [...this.byName.values()];
  }

  /** True when `name` is registered. */
  has(name: string): name is T['name'] {
    return this.byName.has(name);
  }

  /** The task type of a name known at compile time, with its request and response types. */
  get<N extends T['name']>(name: N): Extract<T, { name: N }> {
    return this.require(name) as Extract<T, { name: N }>;
  }

  /** The task type of a name from outside (a queue, a request); throws ProtocolError `UnknownTaskType`. */
  require(name: string): T {
    const taskType = this.byName.get(name);
    if (taskType === undefined) {
      throw new ProtocolError(
        ProtocolErrorCode.UnknownTaskType,
        `unknown task type ${JSON.stringify(name)}; known: ${this.names.join(', ')}`,
      );
    }
    return taskType;
  }
}

/** The task types this stack ships. */
export const builtInTaskTypes = [arithmeticTaskType, summarizationTaskType, textGenerationTaskType] as const;

export type BuiltInTaskType = (typeof builtInTaskTypes)[number];

/** Request type of a built-in task type, by name. */
export type TaskRequest<N extends TaskTypeName> = RequestOf<Extract<BuiltInTaskType, { name: N }>>;

/** Response type of a built-in task type, by name. */
export type TaskResponse<N extends TaskTypeName> = ResponseOf<Extract<BuiltInTaskType, { name: N }>>;

/** All built-in task types by name. */
export const taskTypes = new TaskTypeRegistry<BuiltInTaskType>(builtInTaskTypes);

/** Validates a task type name from config or an API (one of the built-in names). */
export const taskTypeNameSchema = z.enum(TaskTypeName);
