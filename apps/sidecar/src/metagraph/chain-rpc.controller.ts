import { Controller } from '@nestjs/common';
import { RpcHandler, RpcPayload, type RpcRequest, type RpcResponse, rpcError } from '@vstack/contracts';
import { SidecarError } from '../errors';
import { NeuronsCache } from './neurons-cache';

/** A failure as the RPC caller sees it: the REST API's error codes (`subnet_not_found`, `cache_stale`, ...). */
function toRpcError(error: unknown): unknown {
  return error instanceof SidecarError ? rpcError(error.code, error.message) : error;
}

/** The sidecar's RPC (libs/contracts `sidecarRpc`), answered from the metagraph cache. */
@Controller()
export class ChainRpcController {
  constructor(private readonly cache: NeuronsCache) {}

  @RpcHandler('chain.block.latest')
  async latestBlock(): Promise<RpcResponse<'chain.block.latest'>> {
    try {
      return await this.cache.chainHead();
    } catch (error) {
      throw toRpcError(error);
    }
  }

  @RpcHandler('chain.neurons')
  async neurons(
    @RpcPayload('chain.neurons') request: RpcRequest<'chain.neurons'>,
  ): Promise<RpcResponse<'chain.neurons'>> {
    try {
      const { view } = await this.cache.read(request.netuid, request.block ?? 'latest');
      return { netuid: request.netuid, block: view.snapshot.block, neurons: view.snapshot.neurons };
    } catch (error) {
      throw toRpcError(error);
    }
  }

  @RpcHandler('chain.hyperparameters')
  async hyperparameters(
    @RpcPayload('chain.hyperparameters') request: RpcRequest<'chain.hyperparameters'>,
  ): Promise<RpcResponse<'chain.hyperparameters'>> {
    try {
      return await this.cache.hyperparameters(request.netuid);
    } catch (error) {
      throw toRpcError(error);
    }
  }
}
