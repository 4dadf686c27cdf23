import { Body, Controller, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { DemoMinerService, TASK_TYPE_HEADER } from './demo-miner.service';

/**
 * `POST /tasks/{taskType}` for each built-in task type, and `POST /inference` (the miner proxy's default
 * upstream path), which takes the task type from the `X-Task-Type` header or the body's `task_type` field.
 */
@Controller()
export class DemoMinerController {
  constructor(private readonly miner: DemoMinerService) {}

  @Post('tasks/:taskType')
  @HttpCode(200)
  task(@Param('taskType') name: string, @Body() body: unknown): Promise<unknown> {
    return this.miner.answer(this.miner.taskType(name), body);
  }

  @Post('inference')
  @HttpCode(200)
  inference(@Headers(TASK_TYPE_HEADER) header: string | undefined, @Body() body: unknown): Promise<unknown> {
    return this.miner.answer(this.miner.inferenceTaskType(header, body), body);
  }
}
