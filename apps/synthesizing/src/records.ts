import type { ServiceRecords } from '@vstack/runtime/database';
import { CreateOrganicSamples1795392000000 } from './migrations/1795392000000-create-organic-samples';
import { OrganicSampleEntity } from './samples/organic-sample.entity';

/** The tables synthesizing owns: its entities and the migrations that create them, in order. */
export const synthesizingRecords: ServiceRecords = {
  entities: [OrganicSampleEntity],
  migrations: [CreateOrganicSamples1795392000000],
};
