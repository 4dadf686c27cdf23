import type { RpcClient, TaskFinishedEvent } from '@vstack/contracts';

/** Tells every gateway replica that a task has finished, so their waiters wake. */
export interface TaskAnnouncer {
  announce(event: TaskFinishedEvent): Promise<void>;
}

/** The `task.finished` event on the Redis transport. */
export class RpcTaskAnnouncer implements TaskAnnouncer {
  constructor(private readonly rpc: RpcClient) {}

  announce(event: TaskFinishedEvent): Promise<void> {
    return this.rpc.emit('task.finished', event);
  }
}
