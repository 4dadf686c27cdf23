import { Controller, type DynamicModule, Inject, type INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  createRpcMicroserviceOptions,
  EventHandler,
  type EventPayload,
  type MinerReport,
  RpcHandler,
  RpcPayload,
  type RpcRequest,
  type RpcResponse,
  type SelectedMiner,
} from '@vstack/contracts';

/**
 * What the fake managing and scoring answer, and what the validator told them and broadcast. Tests change the
 * miners' order (managing's preference) and scoring's answers as they go.
 */
export class FakeStack {
  /** managing's miners, in the order it prefers them. */
  miners: SelectedMiner[] = [];
  readonly selections: RpcRequest<'miners.select'>[] = [];
  readonly reports: MinerReport[] = [];
  /** scoring's answers to scores.weights, in turn; an Error is thrown; the last one repeats. */
  weightsAnswers: (Record<string, number> | Error)[] = [{}];
  /** The netuids scoring was asked for. */
  readonly weightsAsked: number[] = [];
  readonly progress: EventPayload<'task.progress'>[] = [];
  readonly chunks: EventPayload<'task.chunk'>[] = [];
  readonly samples: EventPayload<'organic.sampled'>[] = [];

  stagesOf(taskId: string): string[] {
    return this.progress
      .filter((event) => event.taskId === taskId)
      .map((event) => (event.minerUid === undefined ? event.stage : `${event.stage}:${event.minerUid}`));
  }

  reportsOf(uid: number): MinerReport[] {
    return this.reports.filter((report) => report.uid === uid);
  }
}

const STACK = Symbol('fake-stack');

@Controller()
class FakeHandlers {
  constructor(@Inject(STACK) private readonly stack: FakeStack) {}

  @RpcHandler('miners.select')
  select(@RpcPayload('miners.select') request: RpcRequest<'miners.select'>): RpcResponse<'miners.select'> {
    this.stack.selections.push(request);
    return { miners: this.stack.miners.slice(0, request.count) };
  }

  @RpcHandler('miners.report')
  report(@RpcPayload('miners.report') report: RpcRequest<'miners.report'>): RpcResponse<'miners.report'> {
    this.stack.reports.push(report);
    return { accepted: true };
  }

  @RpcHandler('scores.weights')
  weights(
    @RpcPayload('scores.weights') request: RpcRequest<'scores.weights'>,
  ): RpcResponse<'scores.weights'> {
    this.stack.weightsAsked.push(request.netuid);
    const answers = this.stack.weightsAnswers;
    const answer = answers.length > 1 ? answers.shift() : answers[0];
    if (answer instanceof Error) throw answer;
    return { weights: answer ?? {} };
  }

  @EventHandler('task.progress')
  onProgress(@RpcPayload('task.progress') event: EventPayload<'task.progress'>): void {
    this.stack.progress.push(event);
  }

  @EventHandler('task.chunk')
  onChunk(@RpcPayload('task.chunk') event: EventPayload<'task.chunk'>): void {
    this.stack.chunks.push(event);
  }

  @EventHandler('organic.sampled')
  onSample(@RpcPayload('organic.sampled') event: EventPayload<'organic.sampled'>): void {
    this.stack.samples.push(event);
  }
}

@Module({})
class FakeModule {
  static forStack(stack: FakeStack): DynamicModule {
    return {
      module: FakeModule,
      controllers: [FakeHandlers],
      providers: [{ provide: STACK, useValue: stack }],
    };
  }
}

/** Answers managing's and scoring's RPC and hears the validator's events, on the real Redis transport. */
export async function startFakeServices(
  redisUrl: string,
  prefix: string,
  stack: FakeStack,
): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(FakeModule.forStack(stack), {
    ...createRpcMicroserviceOptions(redisUrl, prefix, { connectionName: `${prefix}-fakes` }),
    logger: false,
  });
  await app.listen();
  return app;
}
