import { Body, Controller, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DemoMinerService, TASK_TYPE_HEADER } from './demo-miner.service';
import { GarbageAnswer } from './garbage-answers';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** A garbage answer goes out as its bytes under a JSON content type, as a broken miner would send it. */
function replyWith(reply: FastifyReply, answer: unknown): unknown {
  if (!(answer instanceof GarbageAnswer)) return answer;
  void reply.header('content-type', JSON_CONTENT_TYPE);
  return answer.bytes;
}

/**
 * `POST /tasks/{taskType}` for each built-in task type, and `POST /inference` (the miner proxy's default
 * upstream path), which takes the task type from the `X-Task-Type` header or the body's `task_type` field.
 */
@Controller()
export class DemoMinerController {
  constructor(private readonly miner: DemoMinerService) {}

  @Post('tasks/:taskType')
  @HttpCode(200)
  async task(
    @Param('taskType') name: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    return replyWith(reply, await this.miner.answer(this.miner.taskType(name), body));
  }

  @Post('inference')
  @HttpCode(200)
  async inference(
    @Headers(TASK_TYPE_HEADER) header: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    return replyWith(reply, await this.miner.answer(this.miner.inferenceTaskType(header, body), body));
  }
}
