import type { ServiceRecords } from '@vstack/runtime';

/** The tables scoring owns: its entities and the migrations that create them, in order. */
export const scoringRecords: ServiceRecords = {
  entities: [],
  migrations: [],
};
