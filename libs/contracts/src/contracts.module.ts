import { type DynamicModule, type InjectionToken, Module, type ModuleMetadata } from '@nestjs/common';
import { createRpcClient, RpcClient, type RpcClientOptions } from './rpc-client';

/** Options of ContractsModule.forClientAsync: a factory for the client options, usually from config. */
export interface ContractsClientAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: InjectionToken[];
  useFactory: (...args: never[]) => RpcClientOptions | Promise<RpcClientOptions>;
  /** Provide the client to every module of the app. */
  global?: boolean;
}

/** Provides the typed RpcClient; it connects on first use (or `connect()`) and closes when the app shuts down. */
@Module({})
export class ContractsModule {
  /** Provides an RpcClient with fixed options. */
  static forClient(options: RpcClientOptions & { global?: boolean }): DynamicModule {
    const { global = false, ...clientOptions } = options;
    return {
      module: ContractsModule,
      global,
      providers: [{ provide: RpcClient, useFactory: () => createRpcClient(clientOptions) }],
      exports: [RpcClient],
    };
  }

  /** Provides an RpcClient whose options come from other providers (the app's config). */
  static forClientAsync(options: ContractsClientAsyncOptions): DynamicModule {
    return {
      module: ContractsModule,
      global: options.global ?? false,
      imports: options.imports ?? [],
      providers: [
        {
          provide: RpcClient,
          inject: options.inject ?? [],
          useFactory: async (...args: never[]) => createRpcClient(await options.useFactory(...args)),
        },
      ],
      exports: [RpcClient],
    };
  }
}
