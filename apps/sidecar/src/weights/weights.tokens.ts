/** Injection tokens of the weights side. */
export const WEIGHTS_JOB_STORE = Symbol('sidecar:weights-job-store');
export const WEIGHTS_COMMIT_STORE = Symbol('sidecar:weights-commit-store');
export const WEIGHTS_QUEUE = Symbol('sidecar:weights-queue');
export const WEIGHTS_RUNNER = Symbol('sidecar:weights-runner');
export const WEIGHTS_METRICS = Symbol('sidecar:weights-metrics');
