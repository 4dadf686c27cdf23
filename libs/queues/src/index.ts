export * from './connection';
export * from './errors';
export * from './handlers';
export * from './jobs';
export * from './logger';
export * from './metrics';
export * from './producer';
export * from './worker';
