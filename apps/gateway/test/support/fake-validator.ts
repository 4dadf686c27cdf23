import { createRpcClient, type RpcClient } from '@vstack/contracts';
import { computeReference, DeterministicReferenceModel, taskTypes } from '@vstack/protocol';
import {
  JobHandlerRegistry,
  JobName,
  JobProducer,
  JobWorker,
  type OrganicTaskPayload,
  QueueName,
} from '@vstack/queues';

/** What the fake validator does with a task. */
export type Behaviour =
  /** Answers with the reference answer (or `result`), after streaming `chunks` when the request asks for a stream. */
  | { kind: 'complete'; result?: unknown; chunks?: string[]; delayMs?: number }
  /** Reports that no miner answered. */
  | { kind: 'fail'; error?: string }
  /** Waits until `release(taskId)`, then completes. */
  | { kind: 'hold' };

const referenceModel = new DeterministicReferenceModel();

/**
 * The validator's side of the contracts, enough to drive the gateway: takes organic tasks from the queue, says
 * `task.progress` (processing, miner_selected), streams `task.chunk`s when asked, and sends the organic result.
 */
export class FakeValidator {
  readonly taken: OrganicTaskPayload[] = [];
  private worker: JobWorker | undefined;
  private readonly rpc: RpcClient;
  private readonly producer: JobProducer;
  private readonly gates = new Map<string, () => void>();
  private readonly held = new Set<string>();

  constructor(
    private readonly redisUrl: string,
    private readonly prefix: string,
    private readonly decide: (task: OrganicTaskPayload) => Behaviour = () => ({ kind: 'complete' }),
  ) {
    this.rpc = createRpcClient({ redisUrl, prefix, connectionName: 'fake-validator' });
    this.producer = new JobProducer({ redisUrl, prefix });
  }

  async start(concurrency = 64): Promise<void> {
    if (this.worker) return;
    await this.rpc.connect();
    const handlers = new JobHandlerRegistry().register(JobName.OrganicTask, (task) => this.handle(task));
    this.worker = new JobWorker({
      queue: QueueName.OrganicTasks,
      handlers,
      connection: { redisUrl: this.redisUrl, prefix: this.prefix },
      concurrency,
      name: 'fake-validator',
      logger: { warn: () => undefined, error: () => undefined },
    });
    await this.worker.start();
  }

  /** Stops taking tasks (those in hand finish first). */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    for (const release of this.gates.values()) release();
    await worker?.close();
  }

  async close(): Promise<void> {
    await this.stop();
    await this.producer.close();
    await this.rpc.close();
  }

  /** Resolves once the task is held by a `hold` behaviour. */
  async whenHeld(taskId: string): Promise<void> {
    for (let i = 0; i < 400 && !this.held.has(taskId); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    if (!this.held.has(taskId)) throw new Error(`task ${taskId} was never held`);
  }

  release(taskId: string): void {
    this.gates.get(taskId)?.();
  }

  private async handle(task: OrganicTaskPayload): Promise<void> {
    this.taken.push(task);
    const started = Date.now();
    await this.rpc.emit('task.progress', { taskId: task.taskId, stage: 'processing', at: Date.now() });
    const behaviour = this.decide(task);
    if (behaviour.kind === 'hold') {
      const released = new Promise<void>((resolve) => this.gates.set(task.taskId, resolve));
      this.held.add(task.taskId);
      await released;
    }
    await this.rpc.emit('task.progress', {
      taskId: task.taskId,
      stage: 'miner_selected',
      at: Date.now(),
      minerUid: 3,
    });
    if (behaviour.kind === 'fail') {
      await this.producer.add(
        JobName.OrganicResult,
        {
          taskId: task.taskId,
          taskType: task.taskType,
          status: 'failed',
          error: behaviour.error ?? 'no miner answered in time',
          attempts: 3,
          finishedAt: new Date().toISOString(),
        },
        { jobId: `result-${task.taskId}` },
      );
      return;
    }
    if (behaviour.kind === 'complete' && behaviour.delayMs) {
      await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
    }
    // Like the validator, streams only a request that asks for it.
    const streamed = (task.request as { stream?: unknown }).stream === true;
    const chunks = behaviour.kind === 'complete' && streamed ? (behaviour.chunks ?? []) : [];
    for (const [index, data] of chunks.entries()) {
      await this.rpc.emit('task.chunk', {
        taskId: task.taskId,
        index,
        data,
        done: index === chunks.length - 1,
      });
    }
    const result =
      behaviour.kind === 'complete' && behaviour.result !== undefined
        ? behaviour.result
        : await computeReference(taskTypes.require(task.taskType), task.request, { referenceModel });
    await this.producer.add(
      JobName.OrganicResult,
      {
        taskId: task.taskId,
        taskType: task.taskType,
        status: 'completed',
        result,
        minerUid: 3,
        minerHotkey: '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty',
        attempts: 1,
        latencyMs: Date.now() - started,
        finishedAt: new Date().toISOString(),
      },
      { jobId: `result-${task.taskId}` },
    );
  }
}
