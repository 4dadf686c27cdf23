import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Logger } from '@vstack/observability';
import { SERVICE_LOGGER, ZodValidationPipe } from '@vstack/runtime';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { GatewayExceptionFilter } from '../gateway-exception.filter';
import type { ApiKeyRecord } from '../keys/api-key';
import { ApiKeysService } from '../keys/api-keys.service';
import { type ledgerEntrySchema, ledgerQuerySchema, toLedgerEntryView } from '../keys/dto';
import { ApiKeyGuard, CurrentKey } from '../keys/guards';
import { type ListTasksQuery, listTasksQuerySchema, type quoteSchema, type TaskView } from './dto';
import { openEventStream } from './event-stream';
import { postgres } from './outage';
import { isFinished } from './task';
import { TaskSignals } from './task-signals';
import { toTaskView } from './task-view';
import { type Submitted, TasksService } from './tasks.service';

/** Aborts when the client goes away before its answer was sent. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** The task API of an application (API key). */
@Controller('v1')
@UseGuards(ApiKeyGuard)
@UseFilters(GatewayExceptionFilter)
export class TasksController {
  constructor(
    private readonly tasks: TasksService,
    private readonly keys: ApiKeysService,
    private readonly signals: TaskSignals,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  /** The key itself: its scopes, rate limit, credits and the price of each task type it may submit. */
  @Get('account')
  async account(@CurrentKey() key: ApiKeyRecord) {
    const [fresh, totals] = await postgres(() =>
      Promise.all([this.keys.get(key.id), this.keys.ledgerTotals(key.id)]),
    );
    return {
      object: 'account' as const,
      id: fresh.id,
      name: fresh.name,
      scopes: fresh.scopes,
      rate_limit_per_minute: fresh.rateLimitPerMinute,
      balance: fresh.balance,
      held: fresh.held,
      spent: totals.spent,
      prices: Object.fromEntries(fresh.scopes.map((scope) => [scope, this.tasks.priceOf(scope)])),
    };
  }

  @Get('account/ledger')
  async ledger(
    @CurrentKey() key: ApiKeyRecord,
    @Query(new ZodValidationPipe(ledgerQuerySchema)) query: z.output<typeof ledgerQuerySchema>,
  ): Promise<{ object: 'list'; data: z.output<typeof ledgerEntrySchema>[] }> {
    const entries = await postgres(() => this.keys.ledger(key.id, query.limit ?? 100, query.before));
    return { object: 'list', data: entries.map(toLedgerEntryView) };
  }

  /** What a task would cost, checked as its submission would be; nothing is held. */
  @Post('quotes')
  @HttpCode(200)
  async quote(@CurrentKey() key: ApiKeyRecord, @Body() body: unknown): Promise<z.output<typeof quoteSchema>> {
    const quote = await this.tasks.quote(key, body);
    return {
      object: 'quote',
      task_type: quote.taskType,
      price_credits: quote.priceCredits,
      balance: quote.balance,
      sufficient: quote.sufficient,
    };
  }

  @Post('tasks/:taskType')
  submit(
    @CurrentKey() key: ApiKeyRecord,
    @Param('taskType') taskType: string,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskView> {
    return this.accept(key, taskType, body, idempotencyKey, prefer, reply);
  }

  @Get('tasks')
  async list(
    @CurrentKey() key: ApiKeyRecord,
    @Query(new ZodValidationPipe(listTasksQuerySchema)) query: ListTasksQuery,
  ): Promise<{ object: 'list'; data: TaskView[]; next_cursor: string | null }> {
    const page = await this.tasks.list(key, query);
    return { object: 'list', data: page.tasks.map(toTaskView), next_cursor: page.nextCursor };
  }

  /** A task; with `Prefer: wait=N` the answer waits up to N seconds for it to finish. */
  @Get('tasks/:id')
  async get(
    @CurrentKey() key: ApiKeyRecord,
    @Param('id') id: string,
    @Headers('prefer') prefer: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskView> {
    let task = await this.tasks.get(key, id);
    const waitMs = this.tasks.waitMsFrom(prefer);
    if (waitMs > 0 && !isFinished(task.status)) {
      task = (await this.tasks.waitFor(task.id, waitMs, clientGone(reply))) ?? task;
      void reply.header('preference-applied', `wait=${Math.round(waitMs / 1000)}`);
    }
    return toTaskView(task);
  }

  /** Cancels a task no validator has taken yet; its price is released. */
  @Delete('tasks/:id')
  async cancel(@CurrentKey() key: ApiKeyRecord, @Param('id') id: string): Promise<TaskView> {
    return toTaskView(await this.tasks.cancel(key, id));
  }

  /**
   * The task's progress as server-sent events: `status` (the task, first as it is, last once it has finished),
   * `progress` (the validator's steps) and `chunk` (pieces of a streamed answer). The stream ends after the final
   * status.
   */
  @Get('tasks/:id/events')
  async events(
    @CurrentKey() key: ApiKeyRecord,
    @Param('id') id: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const task = await this.tasks.get(key, id);
    const stream = openEventStream(request, reply);
    const finish = async () => {
      try {
        const current = await postgres(() => this.tasks.get(key, task.id));
        stream.send(JSON.stringify(toTaskView(current)), 'status');
      } catch (error) {
        this.logger.warn(
          { err: error, taskId: task.id },
          'could not read a finished task for its event stream',
        );
      }
      stream.end();
    };
    const unsubscribe = this.signals.subscribe(task.id, (signal) => {
      switch (signal.kind) {
        case 'progress': {
          const { stage, at, minerUid, detail } = signal.event;
          stream.send(
            JSON.stringify({
              stage,
              at: new Date(at).toISOString(),
              miner_uid: minerUid ?? null,
              detail: detail ?? null,
            }),
            'progress',
          );
          return;
        }
        case 'chunk':
          stream.send(
            JSON.stringify({ index: signal.event.index, data: signal.event.data, done: signal.event.done }),
            'chunk',
          );
          return;
        case 'finished':
          unsubscribe();
          void finish();
          return;
      }
    });
    stream.signal.addEventListener('abort', unsubscribe, { once: true });
    try {
      // Read after listening, so a task that finishes in between is not missed.
      const current = await postgres(() => this.tasks.get(key, task.id));
      stream.send(JSON.stringify(toTaskView(current)), 'status');
      if (isFinished(current.status)) {
        unsubscribe();
        stream.end();
      }
    } catch (error) {
      this.logger.warn({ err: error, taskId: task.id }, 'could not read a task for its event stream');
      unsubscribe();
      stream.end();
    }
  }

  /** The typed route of a task type: the same submission as `POST /v1/tasks/{type}`. */
  @Post(':taskType')
  submitTyped(
    @CurrentKey() key: ApiKeyRecord,
    @Param('taskType') taskType: string,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskView> {
    return this.accept(key, taskType, body, idempotencyKey, prefer, reply);
  }

  private async accept(
    key: ApiKeyRecord,
    taskType: string,
    body: unknown,
    idempotencyKey: string | undefined,
    prefer: string | undefined,
    reply: FastifyReply,
  ): Promise<TaskView> {
    const submission = this.tasks.parseSubmission(key, taskType, body);
    const submitted: Submitted = await this.tasks.submit(key, submission, { idempotencyKey });
    let task = submitted.task;
    const waitMs = this.tasks.waitMsFrom(prefer);
    if (waitMs > 0 && !isFinished(task.status)) {
      task = (await this.tasks.waitFor(task.id, waitMs, clientGone(reply))) ?? task;
      void reply.header('preference-applied', `wait=${Math.round(waitMs / 1000)}`);
    }
    void reply.status(isFinished(task.status) ? 200 : 202).header('location', `/v1/tasks/${task.id}`);
    if (submitted.replayed) void reply.header('idempotent-replayed', 'true');
    return toTaskView(task);
  }
}
