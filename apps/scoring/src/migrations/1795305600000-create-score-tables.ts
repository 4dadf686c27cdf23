import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Score records (one per miner response) and the per-miner, per-task-type moving scores. */
export class CreateScoreTables1795305600000 implements MigrationInterface {
  name = 'CreateScoreTables1795305600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "score_record" (
        "responseId" text PRIMARY KEY,
        "taskId" text NOT NULL,
        "taskType" text NOT NULL,
        "purpose" text NOT NULL CHECK ("purpose" IN ('synthetic', 'organic')),
        "minerUid" integer NOT NULL CHECK ("minerUid" BETWEEN 0 AND 65535),
        "minerHotkey" text NOT NULL,
        "outcome" text NOT NULL CHECK ("outcome" IN ('scored', 'unscored')),
        "unscoredReason" text CHECK ("unscoredReason" IN ('dropout', 'not_sampled')),
        "status" text CHECK ("status" IN ('answered', 'no_response', 'invalid', 'timeout')),
        "accuracy" double precision,
        "speed" double precision,
        "score" double precision,
        "latencyMs" double precision NOT NULL,
        "error" text,
        "recordedAt" timestamptz NOT NULL,
        CHECK (("outcome" = 'scored') = ("status" IS NOT NULL AND "score" IS NOT NULL)),
        CHECK (("outcome" = 'unscored') = ("unscoredReason" IS NOT NULL))
      )`);
    // A miner's history and its dropout window, newest first; and the retention sweep.
    await queryRunner.query(
      `CREATE INDEX "score_record_miner_recorded_at" ON "score_record" ("minerUid", "recordedAt" DESC)`,
    );
    await queryRunner.query(`CREATE INDEX "score_record_recorded_at" ON "score_record" ("recordedAt")`);
    await queryRunner.query(`
      CREATE TABLE "miner_score" (
        "uid" integer NOT NULL CHECK ("uid" BETWEEN 0 AND 65535),
        "taskType" text NOT NULL,
        "hotkey" text NOT NULL,
        "score" double precision NOT NULL CHECK ("score" BETWEEN 0 AND 1),
        "samples" integer NOT NULL DEFAULT 0,
        "unscored" integer NOT NULL DEFAULT 0,
        "updatedAt" timestamptz NOT NULL,
        PRIMARY KEY ("uid", "taskType")
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "miner_score"`);
    await queryRunner.query(`DROP TABLE "score_record"`);
  }
}
