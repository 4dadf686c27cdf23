/** The SS58 address of the miner's hotkey: requests must be signed for it. */
export const MINER_HOTKEY_ADDRESS = Symbol('miner-proxy:hotkey-address');
export const REPLAY_CACHE = Symbol('miner-proxy:replay-cache');
export const PROXY_SERVICE = Symbol('miner-proxy:proxy-service');
/** The miner's hotkey: its address, and a signer when responses are signed. */
export const MINER_KEY = Symbol('miner-proxy:key');
/** The worker threads that check signatures (VERIFY_THREADS), if any. */
export const SIGNATURE_WORKERS = Symbol('miner-proxy:signature-workers');
