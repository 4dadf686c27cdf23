import type { ServiceRecords } from '@vstack/runtime';

/** The tables gateway owns: its entities and the migrations that create them, in order. */
export const gatewayRecords: ServiceRecords = {
  entities: [],
  migrations: [],
};
