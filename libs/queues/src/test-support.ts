// The integration test setup provides the Redis URL through vitest's `inject`.
declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/** Resolves when `release` is called; lets a test hold a job in a handler. */
export function gate(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}
