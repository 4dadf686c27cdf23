export * from './definitions';
export * from './files';
export * from './grafana';
export * from './promql';
