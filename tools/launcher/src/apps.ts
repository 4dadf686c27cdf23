import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type AppName, appConfigSchemas } from '@vstack/config';

/** A built app the launcher can start. */
export interface LaunchableApp {
  name: string;
  /** Absolute path of its bundled entry, dist/apps/<name>/main.js. */
  main: string;
}

/** Apps found in the dist directory, and names asked for with --only that are not built. */
export interface AppSelection {
  apps: LaunchableApp[];
  missing: string[];
}

// Started and ready before the rest: the chain and the miner server that other services connect to at start-up.
const firstTier = new Set(['devnet', 'demo-miner']);

function isKnownApp(name: string): name is AppName {
  return Object.hasOwn(appConfigSchemas, name);
}

/** The built apps under `<distDir>/apps`, limited to `only` when given, the chain and miner first. */
export function selectApps(distDir: string, only?: readonly string[]): AppSelection {
  const appsDir = join(distDir, 'apps');
  const built = existsSync(appsDir)
    ? readdirSync(appsDir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(join(appsDir, entry.name, 'main.js')))
        .map((entry) => entry.name)
    : [];
  const wanted = only ?? built;
  const apps = wanted
    .filter((name) => built.includes(name))
    .sort((a, b) => Number(firstTier.has(b)) - Number(firstTier.has(a)) || a.localeCompare(b))
    .map((name) => ({ name, main: join(appsDir, name, 'main.js') }));
  return { apps, missing: wanted.filter((name) => !built.includes(name)) };
}

/** Start tiers: the chain and the miner server first, then everything else. */
export function startTiers<T extends { name: string }>(apps: readonly T[]): T[][] {
  const first = apps.filter((app) => firstTier.has(app.name));
  const rest = apps.filter((app) => !firstTier.has(app.name));
  return [first, rest].filter((tier) => tier.length > 0);
}

/** True for the apps whose config includes DATABASE_URL: they keep records in PostgreSQL and have migrations. */
export function keepsRecordsInPostgres(name: string): boolean {
  return isKnownApp(name) && 'DATABASE_URL' in appConfigSchemas[name].shape;
}

/** The app's default PORT from its config schema, or undefined for an app the config does not know. */
export function defaultPortOf(name: string): number | undefined {
  return isKnownApp(name) ? appConfigSchemas[name].shape.PORT.parse(undefined) : undefined;
}
