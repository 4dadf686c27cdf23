import { QueueError, QueueErrorCode } from './errors';
import { isJobName, type JobName, type JobOf, jobNamesOf, type QueueName } from './jobs';

/** What a handler knows about the job it runs, besides the payload. */
export interface JobContext<T extends JobName = JobName> {
  /** The caller-supplied job id; side effects are idempotent by it. */
  readonly id: string;
  readonly name: T;
  readonly queue: QueueName;
  /** 1 on the first run, 2 on the first retry after a failure, ... */
  readonly attempt: number;
}

/** Does the work of one job. Throwing fails the attempt; BullMQ retries with backoff. */
export type JobHandler<T extends JobName> = (payload: JobOf<T>, job: JobContext<T>) => Promise<void> | void;

interface Registration {
  handler: JobHandler<JobName>;
  source: string;
}

interface DecoratedMethod {
  name: JobName;
  method: string | symbol;
}

const decoratedMethods = new WeakMap<object, DecoratedMethod[]>();

/**
 * Marks a method as the handler of a job. The method's payload type must match the job's; register the
 * instance with `JobHandlerRegistry.registerFrom` (a Nest app does it for every provider at start-up).
 */
export function OnJob<T extends JobName>(name: T) {
  return <M extends JobHandler<T>>(
    target: object,
    method: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ) => {
    if (typeof descriptor.value !== 'function') {
      throw new QueueError(QueueErrorCode.HandlerRegistration, `@OnJob("${name}") must decorate a method`);
    }
    const methods = decoratedMethods.get(target) ?? [];
    methods.push({ name, method });
    decoratedMethods.set(target, methods);
  };
}

/**
 * The handlers of a process, by job name. A worker asks it for its queue's handlers at start-up, and start-up
 * fails unless every job of the queue has exactly one. A Nest app fills it from its providers, e.g.
 * `discovery.getProviders().forEach(({ instance }) => instance && registry.registerFrom(instance))`, or
 * registers functions with `register`.
 */
export class JobHandlerRegistry {
  private readonly registrations = new Map<JobName, Registration[]>();

  /** Adds the handler of a job; `source` names it in error messages. */
  register<T extends JobName>(
    name: T,
    handler: JobHandler<T>,
    source = handler.name || 'anonymous handler',
  ): this {
    if (!isJobName(name)) {
      throw new QueueError(QueueErrorCode.UnknownJob, `"${String(name)}" is not a job name`);
    }
    const registrations = this.registrations.get(name) ?? [];
    // Stored without its type parameter; the worker validates each payload against the job's schema first.
    registrations.push({ handler: handler as unknown as JobHandler<JobName>, source });
    this.registrations.set(name, registrations);
    return this;
  }

  /** Adds every `@OnJob` method of an object (its class and base classes), bound to it. */
  registerFrom(instance: object): this {
    const className = instance.constructor.name;
    const seen = new Set<string>();
    for (let proto: unknown = Object.getPrototypeOf(instance); proto; proto = Object.getPrototypeOf(proto)) {
      for (const { name, method } of decoratedMethods.get(proto) ?? []) {
        // A subclass that overrides and re-decorates a method registers it once.
        const key = `${name}\u0000${String(method)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const fn = (instance as Record<string | symbol, unknown>)[method] as JobHandler<JobName>;
        this.register(name, fn.bind(instance), `${className}.${String(method)}`);
      }
    }
    return this;
  }

  /**
   * The handler of each job of a queue. Throws QueueError naming every job that has no handler or more than
   * one, so a worker with a wiring mistake refuses to start instead of failing jobs later.
   */
  handlersFor(queue: QueueName): ReadonlyMap<JobName, JobHandler<JobName>> {
    const handlers = new Map<JobName, JobHandler<JobName>>();
    const problems: string[] = [];
    for (const name of jobNamesOf(queue)) {
      const registrations = this.registrations.get(name) ?? [];
      const [first] = registrations;
      if (!first) {
        problems.push(`job "${name}" has no handler`);
      } else if (registrations.length > 1) {
        const sources = registrations.map((registration) => registration.source).join(', ');
        problems.push(`job "${name}" has ${registrations.length} handlers (${sources})`);
      } else {
        handlers.set(name, first.handler);
      }
    }
    if (problems.length > 0) {
      throw new QueueError(
        QueueErrorCode.HandlerRegistration,
        `worker for queue "${queue}" cannot start: ${problems.join('; ')}`,
      );
    }
    return handlers;
  }
}
