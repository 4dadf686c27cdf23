import { Body, Controller, Headers, Inject, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Logger } from '@vstack/observability';
import {
  type ChatCompletionResponse,
  chatCompletionRequestSchema,
  completionText,
  countTokens,
  TaskTypeName,
} from '@vstack/protocol';
import { SERVICE_LOGGER } from '@vstack/runtime';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, GatewayErrorCode } from '../errors';
import { GatewayExceptionFilter } from '../gateway-exception.filter';
import type { ApiKeyRecord } from '../keys/api-key';
import { ApiKeyGuard, CurrentKey } from '../keys/guards';
import { type ChatRequest, chatRequestSchema } from './dto';
import { type EventStream, openEventStream } from './event-stream';
import { postgres } from './outage';
import { isFinished, newTaskId, type TaskRecord } from './task';
import { type TaskSignal, TaskSignals } from './task-signals';
import { clientGone } from './tasks.controller';
import { parseBody, TasksService } from './tasks.service';

/** How long a stream waits for the last pieces of an answer after the task finished. */
const TRAILING_CHUNKS_MS = 1_000;

/** The OpenAI chat completion of a completed text-generation task. */
export function chatCompletionOf(task: TaskRecord, request: ChatRequest) {
  const result = task.result as ChatCompletionResponse;
  const content = completionText(result);
  const promptTokens = request.messages.reduce((sum, message) => sum + countTokens(message.content), 0);
  const completionTokens = countTokens(content);
  return {
    id: result.id ?? `chatcmpl-${task.id}`,
    object: 'chat.completion' as const,
    created: Math.floor((task.finishedAt ?? task.createdAt).getTime() / 1000),
    model: result.model ?? request.model,
    choices: result.choices.map((choice, index) => ({
      index: choice.index ?? index,
      message: choice.message,
      finish_reason: choice.finish_reason ?? 'stop',
    })),
    usage: result.usage ?? {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}

/** The chunks a stream sends for a completed answer that came without chunks of its own. */
export function chunksOf(task: TaskRecord, request: ChatRequest): string[] {
  const completion = chatCompletionOf(task, request);
  const base = {
    id: completion.id,
    object: 'chat.completion.chunk',
    created: completion.created,
    model: completion.model,
  };
  return [
    JSON.stringify({
      ...base,
      choices: completion.choices.map((choice) => ({
        index: choice.index,
        delta: { role: 'assistant', content: choice.message.content },
        finish_reason: null,
      })),
    }),
    JSON.stringify({
      ...base,
      choices: completion.choices.map((choice) => ({
        index: choice.index,
        delta: {},
        finish_reason: choice.finish_reason,
      })),
    }),
  ];
}

function errorOf(task: TaskRecord): { code: string; message: string } {
  return {
    code: GatewayErrorCode.TaskFailed,
    message: `task ${task.id} ${task.status === 'CANCELLED' ? 'was cancelled' : 'failed'}: ${task.errorMessage ?? 'no answer'}`,
  };
}

/** OpenAI-compatible chat completions, served by text-generation tasks. */
@Controller('v1/chat')
@UseGuards(ApiKeyGuard)
@UseFilters(GatewayExceptionFilter)
export class ChatController {
  constructor(
    private readonly tasks: TasksService,
    private readonly signals: TaskSignals,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Answers with the completion (waiting up to GATEWAY_MAX_WAIT_SECONDS), or with `stream: true` as server-sent
   * events: the miner's chunks as they come, then `data: [DONE]`.
   */
  @Post('completions')
  async complete(
    @CurrentKey() key: ApiKeyRecord,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const taskType = this.tasks.taskTypeFor(key, TaskTypeName.TextGeneration);
    const chat = parseBody(chatRequestSchema, body);
    const submission = this.tasks.checked({
      taskType,
      // The validator streams a text-generation task from its miner when the request says `stream: true`.
      input:
        chat.stream === true
          ? { ...chatCompletionRequestSchema.parse(chat), stream: true }
          : chatCompletionRequestSchema.parse(chat),
      priority: chat.priority ?? 'normal',
      callbackUrl: null,
    });
    if (chat.stream === true) {
      await this.stream(key, chat, submission, idempotencyKey, request, reply);
      return;
    }
    const submitted = await this.tasks.submit(key, submission, { idempotencyKey });
    const task =
      (await this.tasks.waitFor(submitted.task.id, this.tasks.maxWaitMs, clientGone(reply))) ??
      submitted.task;
    void reply.header('x-task-id', task.id);
    if (task.status === 'COMPLETED') {
      await reply.status(200).send(chatCompletionOf(task, chat));
      return;
    }
    if (isFinished(task.status)) {
      const { message } = errorOf(task);
      throw new GatewayError(GatewayErrorCode.TaskFailed, message);
    }
    throw new GatewayError(
      GatewayErrorCode.WaitTimeout,
      `task ${task.id} did not finish within ${this.tasks.maxWaitMs / 1000} s; GET /v1/tasks/${task.id} will have its result`,
      { details: { task_id: task.id } },
    );
  }

  private async stream(
    key: ApiKeyRecord,
    chat: ChatRequest,
    submission: ReturnType<TasksService['checked']>,
    idempotencyKey: string | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    // Listen before the task exists: a fast miner's first chunks may arrive before the submission returns.
    const taskId = newTaskId();
    const early: TaskSignal[] = [];
    let deliver: (signal: TaskSignal) => void = (signal) => early.push(signal);
    let unsubscribe = this.signals.subscribe(taskId, (signal) => {
      deliver(signal);
    });
    let submitted;
    try {
      submitted = await this.tasks.submit(key, submission, { idempotencyKey, taskId });
    } catch (error) {
      unsubscribe();
      throw error;
    }
    const task = submitted.task;
    if (task.id !== taskId) {
      // An Idempotency-Key replay: follow the earlier task.
      unsubscribe();
      unsubscribe = this.signals.subscribe(task.id, (signal) => {
        deliver(signal);
      });
    }
    void reply.header('x-task-id', task.id);
    const stream = openEventStream(request, reply);
    const relay = new ChunkRelay(
      stream,
      chat,
      task.id,
      (id) => postgres(() => this.tasks.get(key, id)),
      this.logger,
    );
    const stop = () => {
      unsubscribe();
      relay.stop();
    };
    stream.signal.addEventListener('abort', stop, { once: true });
    deliver = (signal) => {
      relay.on(signal);
    };
    for (const signal of early.splice(0)) relay.on(signal);
    // The task may have finished before anyone listened (a replay, or a very fast answer).
    try {
      const current = await postgres(() => this.tasks.get(key, task.id));
      if (isFinished(current.status)) relay.finished();
    } catch (error) {
      this.logger.warn({ err: error, taskId: task.id }, 'could not read a streamed task');
      stream.end();
    }
  }
}

/** Relays a task's chunks to a chat stream, then the end (or the failure) once the task has finished. */
class ChunkRelay {
  private nextIndex = 0;
  private relayed = 0;
  private sawLast = false;
  private closing = false;
  private trailing: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: EventStream,
    private readonly request: ChatRequest,
    private readonly taskId: string,
    private readonly read: (taskId: string) => Promise<TaskRecord>,
    private readonly logger: Logger,
  ) {}

  on(signal: TaskSignal): void {
    switch (signal.kind) {
      case 'chunk': {
        const { index, data, done } = signal.event;
        if (index < this.nextIndex) return;
        this.nextIndex = index + 1;
        if (data.trim() !== '' && data.trim() !== '[DONE]') {
          this.stream.send(data);
          this.relayed += 1;
        }
        if (done) {
          this.sawLast = true;
          if (this.trailing !== undefined) this.finished();
        }
        return;
      }
      case 'finished':
        this.finished();
        return;
      case 'progress':
        return;
    }
  }

  /** The task has finished: end the stream once its chunks are in (or after a short wait for the last ones). */
  finished(): void {
    if (this.closing) return;
    if (this.relayed > 0 && !this.sawLast) {
      this.trailing ??= setTimeout(() => {
        this.sawLast = true;
        this.finished();
      }, TRAILING_CHUNKS_MS);
      return;
    }
    this.closing = true;
    clearTimeout(this.trailing);
    if (this.stream.closed) return;
    this.read(this.taskId).then(
      (task) => {
        if (task.status === 'COMPLETED') {
          if (this.relayed === 0) for (const chunk of chunksOf(task, this.request)) this.stream.send(chunk);
        } else {
          this.stream.send(JSON.stringify({ error: errorOf(task) }));
        }
        this.stream.send('[DONE]');
        this.stream.end();
      },
      (error: unknown) => {
        this.logger.warn({ err: error, taskId: this.taskId }, 'could not read a finished streamed task');
        this.stream.end();
      },
    );
  }

  stop(): void {
    clearTimeout(this.trailing);
  }
}
