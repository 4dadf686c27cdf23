import { type AppName, appConfigSchemas, appNames } from '@vstack/config';

/** The names an app's config schema does not read: typos, or another app's variables. */
export function variablesOutsideSchema(app: AppName, names: Iterable<string>): string[] {
  const shape = appConfigSchemas[app].shape;
  return [...names].filter((name) => !(name in shape));
}

/** True when the app's config schema reads the variable. */
export function readsVariable(app: AppName, name: string): boolean {
  return name in appConfigSchemas[app].shape;
}

/** The apps that keep records in PostgreSQL: their schemas read DATABASE_URL. */
export const postgresApps: readonly AppName[] = appNames.filter((app) => readsVariable(app, 'DATABASE_URL'));
