/**
 * @vstack/sidecar-client: the sidecar's REST API (paths, shapes, error codes) and a typed client for it.
 */
export * from './api';
export * from './client';
export * from './errors';
