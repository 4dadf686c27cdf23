import type { ServiceRecords } from '@vstack/runtime/database';
import { CreateWeightsJobs1795325800000 } from './migrations/1795325800000-create-weights-jobs';
import { WeightsCommitRecord, WeightsJobRecord } from './weights/weights-job.entity';

/** The tables sidecar owns: its entities and the migrations that create them, in order. */
export const sidecarRecords: ServiceRecords = {
  entities: [WeightsJobRecord, WeightsCommitRecord],
  migrations: [CreateWeightsJobs1795325800000],
};
