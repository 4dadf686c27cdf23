/**
 * @vstack/weights: the conversion of weights to what subtensor's set_weights takes (u16 vectors, capped to
 * the subnet's max weight limit, as bittensor clients do it), shared by the chain access and the scoring model.
 */
export { isWeightsError, WeightsError, WeightsErrorCode } from './errors';
export {
  convertWeightsForEmit,
  type EmitWeights,
  normalizeMaxWeight,
  prepareWeights,
  type PrepareWeightsOptions,
  resolveWeightKeys,
  U16_MAX,
  type WeightsInput,
  withinMaxWeightLimit,
} from './u16';
