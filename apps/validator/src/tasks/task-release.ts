import { Injectable } from '@nestjs/common';
import { ValidatorError, ValidatorErrorCode } from '../errors';

/**
 * Tells the tasks in hand that the validator is stopping and will not wait for them any longer: they cancel
 * their miner calls and throw, so BullMQ gives the job to another validator.
 */
@Injectable()
export class TaskRelease {
  private readonly controller = new AbortController();

  /** Aborts once the tasks in hand must be given back. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get released(): boolean {
    return this.controller.signal.aborted;
  }

  /** Gives back every task still in hand. */
  release(): void {
    this.controller.abort();
  }

  /** Throws the error a given-back task fails its attempt with, when the tasks are being given back. */
  throwIfReleased(taskId: string): void {
    if (this.released) throw releasedError(taskId);
  }
}

/** The error of a task given back to the queue. */
export function releasedError(taskId: string): ValidatorError {
  return new ValidatorError(
    ValidatorErrorCode.TaskReleased,
    `task ${taskId} given back to the queue: the validator is stopping`,
  );
}
