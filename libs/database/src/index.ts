export * from './columns';
export {
  closeDataSource,
  connectDataSource,
  createDataSource,
  dataSourceSchema,
  type DatabaseOptions,
} from './data-source';
export * from './database.module';
export { DatabaseError, type DatabaseErrorOptions, DatabaseErrorCode, isDatabaseError } from './errors';
export type { DatabaseLogger } from './logger';
export * from './migrate-command';
export * from './migrations';
export * from './prepared';
export * from './readiness';
