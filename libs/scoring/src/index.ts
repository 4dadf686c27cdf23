/**
 * @vstack/scoring: The accuracy/speed scoring model, dropout, moving scores and weights from scores, as pure functions.
 * The public entry of this lib; its contents land with the feature that needs them.
 */
export {};
