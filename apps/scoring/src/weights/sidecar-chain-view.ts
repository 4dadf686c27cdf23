import type { RpcClient } from '@vstack/contracts';
import type { ChainView, SubnetNeuron, WeightRules } from '../ports';

/** The chain as the sidecar serves it over RPC (the only process that reads the chain). */
export class SidecarChainView implements ChainView {
  constructor(private readonly rpc: RpcClient) {}

  async neurons(netuid: number): Promise<SubnetNeuron[]> {
    const { neurons } = await this.rpc.send('chain.neurons', { netuid });
    return neurons.map(({ uid, hotkey }) => ({ uid, hotkey }));
  }

  async weightRules(netuid: number): Promise<WeightRules> {
    const { maxWeightsLimit, minAllowedWeights } = await this.rpc.send('chain.hyperparameters', { netuid });
    return { maxWeightsLimit, minAllowedWeights };
  }
}
