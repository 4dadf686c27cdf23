/**
 * @vstack/chain: Subtensor access on @polkadot/api: one connection owner, metagraph, hyperparameters, epochs,
 * weights (direct and commit-reveal), axons, registration, stake and hotkeys. Written against subtensor's
 * metadata names only, so it runs on finney, testnet and the devnet alike.
 */
export * from './axon';
export * from './commit-store';
export * from './connection';
export * from './epoch';
export * from './errors';
export * from './extensions';
export * from './hyperparameters';
export * from './keys';
export * from './logger';
export * from './metagraph';
export * from './neurons-lite';
export * from './nonce';
export * from './retry';
export * from './scale-decoder';
export * from './submit';
export * from './subtensor';
export * from './weights';
