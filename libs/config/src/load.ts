import type { z } from 'zod';

/** One variable that is missing or invalid. */
export interface ConfigProblem {
  variable: string;
  message: string;
}

/** Thrown at start-up when the environment does not satisfy an app's schema; names every problem at once. */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(
      `${service}: invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((problem) => `  ${problem.variable}: ${problem.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Validates the environment against a schema. Empty strings count as unset, so `FOO=` in a .env file falls
 * back to the default. Throws ConfigError listing every problem.
 */
export function parseConfig<S extends z.ZodObject>(
  service: string,
  schema: S,
  env: Environment,
): z.output<S> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    variable: issue.path.map(String).join('.') || '(environment)',
    message: issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message,
  }));
  throw new ConfigError(service, problems);
}

/** Reads the process environment; the only place in the stack that does. */
export function loadConfig<S extends z.ZodObject>(service: string, schema: S): z.output<S> {
  return parseConfig(service, schema, process.env);
}
