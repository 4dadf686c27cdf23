/** The selection engine (registry, declarations, health, quotas, scores, selector) and what it holds open. */
export const SELECTION_ENGINE = Symbol('managing:selection-engine');
