export * from './correlation';
export * from './health';
export * from './logger';
export * from './metric-names';
export * from './metrics';
export * from './token';
export type { Logger } from 'pino';
