/** Injection tokens of the sidecar. */
export const SIDECAR_CONFIG = Symbol('sidecar:config');
