export * from './isolation';
export * from './postgres-schema';
export * from './provided-context';
export * from './redis-keys';
export * from './services';
export * from './processes';
export * from './devnet';
export * from './hostile-http';
