import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Sampled organic requests waiting to be replayed as synthetic challenges. */
export class CreateOrganicSamples1795392000000 implements MigrationInterface {
  name = 'CreateOrganicSamples1795392000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "organic_sample" (
        "sampleId" uuid PRIMARY KEY,
        "taskType" text NOT NULL,
        "request" jsonb NOT NULL,
        "sampledAt" timestamptz NOT NULL
      )`);
    // The newest sample of a task type (replay, the per-type cap) and the retention sweep by age.
    await queryRunner.query(
      `CREATE INDEX "organic_sample_task_type_sampled_at" ON "organic_sample" ("taskType", "sampledAt" DESC)`,
    );
    await queryRunner.query(`CREATE INDEX "organic_sample_sampled_at" ON "organic_sample" ("sampledAt")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "organic_sample"`);
  }
}
