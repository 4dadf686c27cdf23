import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Weights jobs (the audit trail of weight submissions) and the commits waiting for their reveal. */
export class CreateWeightsJobs1795325800000 implements MigrationInterface {
  name = 'CreateWeightsJobs1795325800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "sidecar_weights_jobs" (
        "id" text PRIMARY KEY,
        "identity" text NOT NULL,
        "netuid" integer NOT NULL CHECK ("netuid" BETWEEN 0 AND 65535),
        "epoch" integer NOT NULL CHECK ("epoch" >= 0),
        "state" text NOT NULL CHECK ("state" IN
          ('scheduled', 'submitting', 'committed', 'revealed', 'succeeded', 'expired', 'cancelled', 'failed')),
        "source" text NOT NULL CHECK ("source" IN ('api', 'queue')),
        "mode" text CHECK ("mode" IN ('direct', 'commit-reveal')),
        "weights" jsonb NOT NULL,
        "count" integer NOT NULL,
        "attempts" integer NOT NULL DEFAULT 0,
        "tx_hash" text,
        "block" integer,
        "commit_hash" text,
        "reveal_from_block" integer,
        "reveal_until_block" integer,
        "reveal_tx_hash" text,
        "reveal_block" integer,
        "last_error" text,
        "last_attempt_block" integer,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE INDEX "sidecar_weights_jobs_history"
        ON "sidecar_weights_jobs" ("identity", "netuid", "created_at" DESC)`);
    await queryRunner.query(`
      CREATE INDEX "sidecar_weights_jobs_unfinished"
        ON "sidecar_weights_jobs" ("state")
        WHERE "state" IN ('scheduled', 'submitting', 'committed', 'revealed')`);
    await queryRunner.query(`
      CREATE UNIQUE INDEX "sidecar_weights_jobs_commit_hash"
        ON "sidecar_weights_jobs" ("commit_hash")
        WHERE "commit_hash" IS NOT NULL`);
    await queryRunner.query(`
      CREATE TABLE "sidecar_weights_commits" (
        "hotkey" text NOT NULL,
        "netuid" integer NOT NULL,
        "hash" text NOT NULL,
        "commit_block" integer NOT NULL,
        "commit" jsonb NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("hotkey", "netuid", "hash")
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "sidecar_weights_commits"`);
    await queryRunner.query(`DROP TABLE "sidecar_weights_jobs"`);
  }
}
