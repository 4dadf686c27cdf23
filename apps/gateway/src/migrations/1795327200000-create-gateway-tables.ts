import type { MigrationInterface, QueryRunner } from 'typeorm';

/** API keys, organic tasks and the credit ledger. */
export class CreateGatewayTables1795327200000 implements MigrationInterface {
  name = 'CreateGatewayTables1795327200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // balance and held are kept equal to sums of the ledger by the statements that write both (see the stores):
    // balance = sum(amount), held = the holds not yet released. The checks make overdrawing impossible.
    await queryRunner.query(`
      CREATE TABLE "gateway_api_keys" (
        "id" uuid PRIMARY KEY,
        "name" text NOT NULL CHECK (length("name") BETWEEN 1 AND 100),
        "prefix" text NOT NULL,
        "secret_hash" bytea NOT NULL UNIQUE,
        "scopes" text[] NOT NULL,
        "rate_limit_per_minute" integer NOT NULL CHECK ("rate_limit_per_minute" >= 1),
        "balance" bigint NOT NULL DEFAULT 0 CHECK ("balance" >= 0),
        "held" bigint NOT NULL DEFAULT 0 CHECK ("held" >= 0),
        "created_at" timestamptz NOT NULL,
        "revoked_at" timestamptz
      )`);
    await queryRunner.query(`
      CREATE TABLE "gateway_tasks" (
        "id" uuid PRIMARY KEY,
        "api_key_id" uuid NOT NULL REFERENCES "gateway_api_keys" ("id"),
        "task_type" text NOT NULL,
        "priority" text NOT NULL CHECK ("priority" IN ('low', 'normal', 'high', 'urgent')),
        "status" text NOT NULL CHECK ("status" IN
          ('PENDING', 'QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED')),
        "input" jsonb NOT NULL,
        "result" jsonb,
        "error_code" text,
        "error_message" text,
        "price_credits" bigint NOT NULL CHECK ("price_credits" >= 0),
        "attempts" integer NOT NULL DEFAULT 0,
        "miner_uid" integer CHECK ("miner_uid" BETWEEN 0 AND 65535),
        "miner_hotkey" text,
        "latency_ms" double precision,
        "callback_url" text,
        "webhook_status" text CHECK ("webhook_status" IN ('pending', 'delivered', 'failed', 'skipped')),
        "webhook_attempts" integer NOT NULL DEFAULT 0,
        "webhook_at" timestamptz,
        "idempotency_key" text,
        "request_hash" text NOT NULL,
        "created_at" timestamptz NOT NULL,
        "queued_at" timestamptz,
        "processing_at" timestamptz,
        "finished_at" timestamptz,
        CHECK (("status" IN ('COMPLETED', 'FAILED', 'CANCELLED')) = ("finished_at" IS NOT NULL)),
        CHECK (("callback_url" IS NULL) = ("webhook_status" IS NULL))
      )`);
    // A key's tasks, newest first (listing and its keyset pagination).
    await queryRunner.query(`
      CREATE INDEX "gateway_tasks_by_key" ON "gateway_tasks" ("api_key_id", "created_at" DESC, "id" DESC)`);
    await queryRunner.query(`
      CREATE UNIQUE INDEX "gateway_tasks_idempotency" ON "gateway_tasks" ("api_key_id", "idempotency_key")
        WHERE "idempotency_key" IS NOT NULL`);
    // The deadline and stale-submission sweeps, and the retention sweep.
    await queryRunner.query(`
      CREATE INDEX "gateway_tasks_unfinished" ON "gateway_tasks" ("created_at")
        WHERE "status" IN ('PENDING', 'QUEUED', 'PROCESSING')`);
    await queryRunner.query(`
      CREATE INDEX "gateway_tasks_finished" ON "gateway_tasks" ("finished_at") WHERE "finished_at" IS NOT NULL`);
    // Tasks are pruned after their retention; their ledger rows stay, so task_id is not a foreign key.
    await queryRunner.query(`
      CREATE TABLE "gateway_credit_ledger" (
        "id" bigserial PRIMARY KEY,
        "api_key_id" uuid NOT NULL REFERENCES "gateway_api_keys" ("id"),
        "task_id" uuid,
        "kind" text NOT NULL CHECK ("kind" IN ('grant', 'hold', 'release', 'debit')),
        "amount" bigint NOT NULL,
        "note" text,
        "created_at" timestamptz NOT NULL,
        CHECK (("kind" = 'grant') = ("task_id" IS NULL)),
        CHECK (CASE "kind" WHEN 'release' THEN "amount" >= 0 WHEN 'grant' THEN true ELSE "amount" <= 0 END)
      )`);
    // At most one hold, one release and one debit per task: settling a task twice cannot move credits twice.
    await queryRunner.query(`
      CREATE UNIQUE INDEX "gateway_credit_ledger_task_movement" ON "gateway_credit_ledger" ("task_id", "kind")
        WHERE "task_id" IS NOT NULL`);
    await queryRunner.query(`
      CREATE INDEX "gateway_credit_ledger_by_key" ON "gateway_credit_ledger" ("api_key_id", "id" DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "gateway_credit_ledger"`);
    await queryRunner.query(`DROP TABLE "gateway_tasks"`);
    await queryRunner.query(`DROP TABLE "gateway_api_keys"`);
  }
}
