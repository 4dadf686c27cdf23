import type { ServiceRecords } from '@vstack/runtime';

/** The tables sidecar owns: its entities and the migrations that create them, in order. */
export const sidecarRecords: ServiceRecords = {
  entities: [],
  migrations: [],
};
