import { isOutage, unavailable } from '../errors';

/** Runs a PostgreSQL call; an outage becomes the 503 the client sees. */
export async function postgres<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw isOutage(error) ? unavailable('PostgreSQL', error) : error;
  }
}

/** Runs a Redis call; an outage becomes the 503 the client sees. */
export async function redis<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw isOutage(error) ? unavailable('Redis', error) : error;
  }
}
