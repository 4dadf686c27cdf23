import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateFixtureAccount1735689600000 implements MigrationInterface {
  name = 'CreateFixtureAccount1735689600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "fixture_account" (
        "hotkey" text PRIMARY KEY,
        "stake" bigint NOT NULL,
        "balance" bigint,
        "score" numeric(12, 9) NOT NULL,
        "createdAt" timestamptz NOT NULL DEFAULT now(),
        "updatedAt" timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "fixture_account"`);
  }
}

export class AddFixtureAccountLabel1735776000000 implements MigrationInterface {
  name = 'AddFixtureAccountLabel1735776000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "fixture_account" ADD COLUMN "label" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "fixture_account" DROP COLUMN "label"`);
  }
}

/** Creates a table, then fails: with one transaction per migration the table must not survive. */
export class BrokenFixtureAudit1735862400000 implements MigrationInterface {
  name = 'BrokenFixtureAudit1735862400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "fixture_audit" ("id" bigint PRIMARY KEY)`);
    await queryRunner.query(`INSERT INTO "fixture_audit" ("id") VALUES ('not a number')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS "fixture_audit"`);
  }
}

/** The working version of the audit migration, shipped after the broken one was fixed. */
export class FixedFixtureAudit1735862400001 implements MigrationInterface {
  name = 'FixedFixtureAudit1735862400001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "fixture_audit" ("id" bigint PRIMARY KEY)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "fixture_audit"`);
  }
}

/**
 * A migration that waits on an advisory lock the test holds, so a test decides exactly how long a runner keeps
 * the migration lock.
 */
export function gatedMigration(gateKey: bigint): new () => MigrationInterface {
  return class GatedFixtureStep1735948800000 implements MigrationInterface {
    name = 'GatedFixtureStep1735948800000';

    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`SELECT pg_advisory_xact_lock($1::bigint)`, [gateKey.toString()]);
      await queryRunner.query(`CREATE TABLE "fixture_gate_passed" ("at" timestamptz NOT NULL DEFAULT now())`);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE "fixture_gate_passed"`);
    }
  };
}
