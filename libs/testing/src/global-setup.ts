import type { TestProject } from 'vitest/node';
import { resolveTestServices } from './services';

import './provided-context';

/**
 * Vitest global setup for projects with integration tests: finds Redis and Postgres (REDIS_URL and
 * DATABASE_URL, else the local services, else private ones it starts) and stops what it started.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const services = await resolveTestServices();
  project.provide('redisUrl', services.redisUrl);
  project.provide('databaseUrl', services.databaseUrl);
  return () => services.stop();
}
