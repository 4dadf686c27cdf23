import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Logger } from '@vstack/observability';
import { createRedisConnection, QueueName } from '@vstack/queues';
import { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { GatewayErrorCode } from '../errors';
import { checkBoardCredentials } from './board-auth';

/** Where the board is served. */
export const QUEUE_BOARD_PATH = '/admin/queues';

/** What the board needs: the queues' Redis and prefix, the admin token (no board without it), the logger. */
export interface QueueBoardSettings {
  redisUrl: string;
  prefix: string;
  adminToken: string | undefined;
  logger: Logger;
}

export const QUEUE_BOARD_SETTINGS = Symbol('gateway:queue-board-settings');

const descriptions: Readonly<Record<QueueName, string>> = {
  [QueueName.OrganicTasks]: 'organic tasks from the gateway, taken by the validator',
  [QueueName.SyntheticTasks]: 'synthetic challenges from synthesizing, taken by the validator',
  [QueueName.Scoring]: 'responses to score, from the validator to scoring',
  [QueueName.Weights]: 'weight vectors, from scoring to the sidecar',
  [QueueName.OrganicResults]: 'results of organic tasks, from the validator back to the gateway',
  [QueueName.GatewayWebhooks]: 'webhook deliveries of the gateway',
};

/**
 * bull-board over every queue of the stack at /admin/queues, read-only, behind GATEWAY_ADMIN_TOKEN (Bearer, or
 * HTTP Basic with the token as password so a browser can open it). Not served at all while the token is unset.
 */
@Injectable()
export class QueueBoard implements OnModuleInit, OnApplicationShutdown {
  private connection: Redis | undefined;
  private queues: { name: QueueName; queue: Queue }[] = [];

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(QUEUE_BOARD_SETTINGS) private readonly settings: QueueBoardSettings,
  ) {}

  async onModuleInit(): Promise<void> {
    const { adminToken, logger } = this.settings;
    if (!adminToken) return;
    const connection = createRedisConnection(this.settings.redisUrl, 'producer');
    let warned = false;
    connection.on('error', (error: unknown) => {
      if (warned) return;
      warned = true;
      logger.warn({ err: error }, 'queue board: Redis error');
    });
    connection.on('ready', () => {
      warned = false;
    });
    this.connection = connection;
    this.queues = Object.values(QueueName).map((name) => ({
      name,
      queue: new Queue(name, { connection, prefix: this.settings.prefix }),
    }));

    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(QUEUE_BOARD_PATH);
    createBullBoard({
      queues: this.queues.map(
        ({ name, queue }) =>
          new BullMQAdapter(queue, { readOnlyMode: true, description: descriptions[name] }),
      ),
      serverAdapter,
      options: { uiConfig: { boardTitle: 'vstack queues' } },
    });

    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // An encapsulated scope: the token check covers the board's page, API and assets, and nothing else.
    await fastify.register(async (scope) => {
      scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
        const credentials = checkBoardCredentials(request.headers.authorization, adminToken);
        if (credentials === 'ok') return;
        await reply
          .code(401)
          .header('www-authenticate', 'Basic realm="vstack queues", charset="UTF-8"')
          .send({
            error: {
              code: GatewayErrorCode.AdminUnauthorized,
              message:
                credentials === 'missing'
                  ? 'the queue board needs the admin token: Authorization: Bearer <GATEWAY_ADMIN_TOKEN>, or the token as the Basic password'
                  : 'the admin token is wrong',
            },
          });
      });
      await scope.register(serverAdapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.queues.map(({ queue }) => queue.close()));
    await this.connection?.quit().catch(() => {
      this.connection?.disconnect();
    });
  }
}
