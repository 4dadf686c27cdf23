import type { ServiceRecords } from '@vstack/runtime/database';
import { CreateScoreTables1795305600000 } from './migrations/1795305600000-create-score-tables';
import { MinerScoreEntity } from './records/miner-score.entity';
import { ScoreRecordEntity } from './records/score-record.entity';

/** The tables scoring owns: its entities and the migrations that create them, in order. */
export const scoringRecords: ServiceRecords = {
  entities: [ScoreRecordEntity, MinerScoreEntity],
  migrations: [CreateScoreTables1795305600000],
};
