import type { ServiceRecords } from '@vstack/runtime';

/** The tables synthesizing owns: its entities and the migrations that create them, in order. */
export const synthesizingRecords: ServiceRecords = {
  entities: [],
  migrations: [],
};
