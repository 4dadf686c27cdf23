import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import {
  Body,
  Controller,
  type DynamicModule,
  HttpCode,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  Post,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ReadinessRegistry } from '@vstack/runtime';
import { DevnetError, DevnetErrorCode, errorMessage } from './errors';
import { defaultCacheDir, loadSubtensorMaterial } from './material/material';
import { loadMetadataV15 } from './metadata/metadata-v15';
import { DevnetNode, type DevnetLogger } from './node';
import { attachWebSocket, type WebSocketAttachment } from './transport';

export interface DevnetNodeModuleOptions {
  /** 0: a block per submitted extrinsic (instant seal); else a block every this many ms. */
  blockTimeMs: number;
  /** A scenario JSON file for genesis; the default scenario when left out. */
  scenarioPath?: string | undefined;
  /** Blocks of state kept (a non-archive node); every block's state when left out. */
  statePruning?: number | undefined;
  /** Folder of the subtensor metadata cache (default: the workspace's node_modules/.cache/vstack). */
  cacheDir?: string | undefined;
  logger: DevnetLogger;
}

/** Reads and parses a scenario file; DevnetError (InvalidScenario) naming the file when it cannot. */
export async function readScenarioFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new DevnetError(
      DevnetErrorCode.InvalidScenario,
      `cannot read the scenario file ${path}: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DevnetError(
      DevnetErrorCode.InvalidScenario,
      `the scenario file ${path} is not JSON: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** Builds the node from the module options: metadata (cache or fetch), scenario file, genesis. */
export async function createDevnetNode(options: DevnetNodeModuleOptions): Promise<DevnetNode> {
  const started = performance.now();
  const material = await loadSubtensorMaterial({
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    onFetch: (message) => {
      options.logger.info(message);
    },
  });
  await loadMetadataV15(material, options.cacheDir ?? defaultCacheDir());
  const scenario = options.scenarioPath ? await readScenarioFile(options.scenarioPath) : undefined;
  const node = await DevnetNode.create({
    material,
    blockTimeMs: options.blockTimeMs,
    scenario,
    statePruning: options.statePruning,
    logger: options.logger,
  });
  const netuids = node.genesisScenario.subnets.map((subnet) => subnet.netuid).join(', ') || 'none';
  options.logger.info(
    `devnet node ready in ${Math.round(performance.now() - started)} ms: spec ${material.specVersion} ` +
      `(metadata v15), genesis ${node.chain.genesisHash}, netuids ${netuids}, ` +
      (options.blockTimeMs > 0 ? `a block every ${options.blockTimeMs} ms` : 'instant seal') +
      (options.statePruning === undefined ? '' : `, state of the last ${options.statePruning} blocks kept`),
  );
  return node;
}

/** JSON-RPC over HTTP POST on `/`, as a node answers it next to its WebSocket. */
@Controller()
export class DevnetRpcController {
  constructor(@Inject(DevnetNode) private readonly node: DevnetNode) {}

  @Post()
  @HttpCode(200)
  rpc(@Body() body: unknown): Promise<unknown> {
    return this.node.handleHttp(body);
  }
}

/** Puts the node's WebSocket on the app's HTTP server, reports readiness, and stops the node on shutdown. */
@Injectable()
export class DevnetNodeLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  private sockets: WebSocketAttachment | undefined;

  constructor(
    @Inject(DevnetNode) private readonly node: DevnetNode,
    private readonly adapterHost: HttpAdapterHost,
    private readonly readiness: ReadinessRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    this.sockets = attachWebSocket(this.node, server);
    this.readiness.add({
      name: 'devnet',
      check: () => Promise.resolve({ ok: true, detail: `head #${this.node.chain.head.number}` }),
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.node.close();
    await this.sockets?.close();
  }
}

/** The devnet node inside a Nest service: WebSocket and HTTP JSON-RPC on the service's own port. */
@Module({})
export class DevnetNodeModule {
  static forRoot(options: DevnetNodeModuleOptions): DynamicModule {
    return {
      module: DevnetNodeModule,
      controllers: [DevnetRpcController],
      providers: [{ provide: DevnetNode, useFactory: () => createDevnetNode(options) }, DevnetNodeLifecycle],
      exports: [DevnetNode],
    };
  }
}
