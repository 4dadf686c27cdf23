import { type DynamicModule, Module } from '@nestjs/common';
import { QUEUE_BOARD_SETTINGS, QueueBoard, type QueueBoardSettings } from './queue-board';

/** The queue board at /admin/queues (see QueueBoard). */
@Module({})
export class QueueBoardModule {
  static forRoot(settings: QueueBoardSettings): DynamicModule {
    return {
      module: QueueBoardModule,
      providers: [{ provide: QUEUE_BOARD_SETTINGS, useValue: settings }, QueueBoard],
    };
  }
}
