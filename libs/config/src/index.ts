export * from './apps';
export * from './env-example';
export * from './fragments';
export * from './load';
export * from './variables';
