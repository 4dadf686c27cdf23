/**
 * @vstack/epistula: Epistula v2 request signing and verification (sr25519), the replay cache interface and the Nest guard.
 * The public entry of this lib; its contents land with the feature that needs them.
 */
export {};
