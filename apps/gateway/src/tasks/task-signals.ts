import { Injectable } from '@nestjs/common';
import type { TaskChunkEvent, TaskFinishedEvent, TaskProgressEvent } from '@vstack/contracts';

/** Something that happened to a task, as this replica heard it. */
export type TaskSignal =
  | { kind: 'progress'; event: TaskProgressEvent }
  | { kind: 'chunk'; event: TaskChunkEvent }
  | { kind: 'finished'; event: TaskFinishedEvent };

export type TaskListener = (signal: TaskSignal) => void;

/**
 * The requests of this replica that wait for news of a task (Prefer: wait, event streams, streamed chat
 * completions), and the events that wake them. Events reach every replica over Redis; nothing here is durable,
 * so a waiter always reads the task's record after it wakes (or times out).
 */
@Injectable()
export class TaskSignals {
  private readonly listeners = new Map<string, Set<TaskListener>>();

  /** Calls `listener` for every signal of the task until the returned function is called. */
  subscribe(taskId: string, listener: TaskListener): () => void {
    let set = this.listeners.get(taskId);
    if (!set) {
      set = new Set();
      this.listeners.set(taskId, set);
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(taskId);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.listeners.delete(taskId);
    };
  }

  publish(taskId: string, signal: TaskSignal): void {
    const set = this.listeners.get(taskId);
    if (!set) return;
    for (const listener of [...set]) listener(signal);
  }

  /** Resolves true when the task's finished signal arrives within `timeoutMs`, else false. */
  finished(
    taskId: string,
    timeoutMs: number,
    abort?: AbortSignal,
  ): { promise: Promise<boolean>; cancel: () => void } {
    let cancel: () => void = () => undefined;
    const promise = new Promise<boolean>((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        unsubscribe();
        abort?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const onAbort = () => {
        done(false);
      };
      const timer = setTimeout(() => {
        done(false);
      }, timeoutMs);
      const unsubscribe = this.subscribe(taskId, (signal) => {
        if (signal.kind === 'finished') done(true);
      });
      abort?.addEventListener('abort', onAbort, { once: true });
      cancel = () => {
        done(false);
      };
    });
    return { promise, cancel };
  }

  /** Tasks with someone listening on this replica. */
  get watched(): number {
    return this.listeners.size;
  }
}
