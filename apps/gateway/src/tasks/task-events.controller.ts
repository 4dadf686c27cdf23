import { Controller, Inject } from '@nestjs/common';
import { EventHandler, type EventPayload, RpcPayload } from '@vstack/contracts';
import type { Logger } from '@vstack/observability';
import { SERVICE_LOGGER } from '@vstack/runtime';
import { TaskLifecycle } from './task-lifecycle.service';

/** Hears the validator's task events and the other replicas' `task.finished`, on the Redis transport. */
@Controller()
export class TaskEventsController {
  constructor(
    private readonly lifecycle: TaskLifecycle,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  @EventHandler('task.progress')
  async progress(@RpcPayload('task.progress') event: EventPayload<'task.progress'>): Promise<void> {
    // Events are not redelivered; a missed PROCESSING mark leaves processing_at empty, nothing else.
    try {
      await this.lifecycle.onProgress(event);
    } catch (error) {
      this.logger.warn({ err: error, taskId: event.taskId }, 'could not record a task as PROCESSING');
    }
  }

  @EventHandler('task.chunk')
  chunk(@RpcPayload('task.chunk') event: EventPayload<'task.chunk'>): void {
    this.lifecycle.onChunk(event);
  }

  @EventHandler('task.finished')
  finished(@RpcPayload('task.finished') event: EventPayload<'task.finished'>): void {
    this.lifecycle.onFinished(event);
  }
}
