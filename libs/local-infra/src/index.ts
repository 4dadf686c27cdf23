export * from './errors';
export * from './net';
export * from './postgres';
export * from './process';
export * from './redis';
