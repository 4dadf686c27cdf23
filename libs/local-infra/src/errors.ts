export enum LocalInfraErrorCode {
  RedisNotInstalled = 'redis_not_installed',
  RedisStartFailed = 'redis_start_failed',
  PostgresNotInstalled = 'postgres_not_installed',
  PostgresStartFailed = 'postgres_start_failed',
  Timeout = 'timeout',
}

/** A private service the local run or the tests needed could not be started. */
export class LocalInfraError extends Error {
  constructor(
    readonly code: LocalInfraErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'LocalInfraError';
  }
}
