/** The built-in task types. Stored data (queues, score records, dashboards, miners' routes): never rename. */
export enum TaskTypeName {
  Arithmetic = 'arithmetic',
  Summarization = 'summarization',
  TextGeneration = 'text-generation',
}
