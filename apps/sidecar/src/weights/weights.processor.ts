import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { SidecarConfig } from '@vstack/config';
import { type Logger, ServiceMetrics } from '@vstack/observability';
import {
  type JobContext,
  JobHandlerRegistry,
  JobName,
  JobWorker,
  OnJob,
  queueLoggerOf,
  QueueName,
  type SetWeightsPayload,
} from '@vstack/queues';
import { SERVICE_LOGGER } from '@vstack/runtime';
import { IdentitiesService } from '../auth/identities.service';
import { SIDECAR_CONFIG } from '../tokens';
import type { WeightsQueue } from './weights.queue';
import { WeightsService } from './weights.service';
import { WEIGHTS_QUEUE } from './weights.tokens';

/** Takes weights jobs from the weights queue: the API's own and scoring's. */
@Injectable()
export class WeightsProcessor {
  constructor(private readonly weights: WeightsService) {}

  @OnJob(JobName.SetWeights)
  async setWeights(payload: SetWeightsPayload, job: JobContext<JobName.SetWeights>): Promise<void> {
    await this.weights.process(payload, job.id);
  }
}

/** Starts the weights queue's worker with the app and resumes unfinished jobs; stops both on shutdown. */
@Injectable()
export class WeightsWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  #worker: JobWorker | undefined;
  #stopped = false;

  constructor(
    private readonly processor: WeightsProcessor,
    private readonly weights: WeightsService,
    private readonly identities: IdentitiesService,
    @Inject(WEIGHTS_QUEUE) private readonly queue: WeightsQueue,
    @Inject(SIDECAR_CONFIG) private readonly config: SidecarConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly metrics: ServiceMetrics,
  ) {}

  onApplicationBootstrap(): void {
    const worker = new JobWorker({
      queue: QueueName.Weights,
      handlers: new JobHandlerRegistry().registerFrom(this.processor),
      connection: { redisUrl: this.config.REDIS_URL, prefix: this.config.REDIS_PREFIX },
      // A commit-reveal job holds its slot until its reveal, an epoch later; leave room for the next ones.
      concurrency: Math.max(8, 4 * this.identities.list().length),
      name: 'sidecar',
      logger: queueLoggerOf(this.logger),
      metrics: this.metrics.registry,
    });
    this.#worker = worker;
    // In the background: the API serves while Redis is away, and the worker connects when it is back.
    worker
      .start()
      .then(async () => {
        if (!this.#stopped) await this.weights.resume();
      })
      .catch((error: unknown) => {
        if (!this.#stopped) this.logger.error({ err: error }, 'the weights worker could not start');
      });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.#stopped = true;
    // Running jobs stop at their next check point and go back to the queue for the next process.
    this.weights.stop();
    await this.#worker?.close();
    await this.queue.close();
  }
}
