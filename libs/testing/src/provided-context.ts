// What libs/testing's vitest global setup provides to tests, typed for `inject('redisUrl')` in every project
// that imports '@vstack/testing'.
declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    databaseUrl: string;
  }
}

export {};
