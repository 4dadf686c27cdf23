import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tasks and ledger rows keep naming an existing key without a foreign key each. A foreign key checks every new row
 * with a look-up and a lock on the key's row: on a batch of submissions that was about half of PostgreSQL's work
 * (see BENCHMARKS.md), for rows whose key the same statement has just locked and updated (the holds), or whose key
 * the row's task already names (settlements, grants). What the foreign keys also did, refusing to delete a key that
 * still has tasks or ledger rows, a trigger on the keys does now, only when a key is deleted.
 */
export class KeyReferencesByStatement1795420800000 implements MigrationInterface {
  name = 'KeyReferencesByStatement1795420800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "gateway_tasks" DROP CONSTRAINT "gateway_tasks_api_key_id_fkey"`);
    await queryRunner.query(
      `ALTER TABLE "gateway_credit_ledger" DROP CONSTRAINT "gateway_credit_ledger_api_key_id_fkey"`,
    );
    // The key's row is locked before the check, so a submission that is writing tasks for it commits first and its
    // tasks are seen (each statement of a function reads with a new snapshot under READ COMMITTED).
    await queryRunner.query(`
      CREATE FUNCTION "gateway_api_keys_keep_referenced"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM "gateway_tasks" WHERE "api_key_id" = OLD."id")
           OR EXISTS (SELECT 1 FROM "gateway_credit_ledger" WHERE "api_key_id" = OLD."id") THEN
          RAISE EXCEPTION 'API key % still has tasks or ledger rows; revoke it instead', OLD."id"
            USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN OLD;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER "gateway_api_keys_keep_referenced" BEFORE DELETE ON "gateway_api_keys"
        FOR EACH ROW EXECUTE FUNCTION "gateway_api_keys_keep_referenced"()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "gateway_api_keys_keep_referenced" ON "gateway_api_keys"`);
    await queryRunner.query(`DROP FUNCTION "gateway_api_keys_keep_referenced"()`);
    await queryRunner.query(`
      ALTER TABLE "gateway_credit_ledger" ADD CONSTRAINT "gateway_credit_ledger_api_key_id_fkey"
        FOREIGN KEY ("api_key_id") REFERENCES "gateway_api_keys" ("id")`);
    await queryRunner.query(`
      ALTER TABLE "gateway_tasks" ADD CONSTRAINT "gateway_tasks_api_key_id_fkey"
        FOREIGN KEY ("api_key_id") REFERENCES "gateway_api_keys" ("id")`);
  }
}
