/**
 * @vstack/protocol: Task types: request and response schemas, synthetic generators, reference answers, accuracy functions, timeouts and prices.
 * The public entry of this lib; its contents land with the feature that needs them.
 */
export {};
