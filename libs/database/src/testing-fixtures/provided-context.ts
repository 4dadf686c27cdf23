// The integration test setup provides the PostgreSQL URL through vitest's `inject`.
declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

export {};
