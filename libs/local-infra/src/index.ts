export * from './errors';
export * from './net';
export * from './postgres';
export * from './postgres-cluster';
export * from './process';
export * from './redis';
export type { RestartableService, RestartOptions } from './restartable';
