/**
 * @vstack/chain: Subtensor access on @polkadot/api: metagraph, hyperparameters, epochs, weights, axons and keys.
 * The public entry of this lib; its contents land with the feature that needs them.
 */
export {};
