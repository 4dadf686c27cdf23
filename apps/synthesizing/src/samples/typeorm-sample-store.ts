import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@vstack/database';
import type { DataSource } from 'typeorm';
import type { OrganicSample, SampleStore } from '../ports';

/** Rows deleted per statement by the retention sweep, so it never holds many locks at once. */
const DELETE_BATCH = 5_000;

/** Sampled organic requests in the service's Postgres schema (table created by the committed migration). */
@Injectable()
export class TypeOrmSampleStore implements SampleStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async add(sample: OrganicSample): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO "organic_sample" ("sampleId", "taskType", "request", "sampledAt")
       VALUES ($1, $2, $3::jsonb, $4)
       ON CONFLICT ("sampleId") DO NOTHING
       RETURNING "sampleId"`,
      [sample.sampleId, sample.taskType, JSON.stringify(sample.request), new Date(sample.sampledAt)],
    );
    return rows.length === 1;
  }

  async take(taskType: string): Promise<unknown> {
    // SKIP LOCKED: two replicas taking at once get two different samples, never the same one twice.
    const [rows]: [{ request: unknown }[], number] = await this.dataSource.query(
      `DELETE FROM "organic_sample" WHERE "sampleId" = (
         SELECT "sampleId" FROM "organic_sample" WHERE "taskType" = $1
         ORDER BY "sampledAt" DESC LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING "request"`,
      [taskType],
    );
    return rows[0]?.request;
  }

  async prune(olderThan: number, keepPerTaskType: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const [, count]: [unknown[], number] = await this.dataSource.query(
        `DELETE FROM "organic_sample" WHERE "sampleId" IN (
           SELECT "sampleId" FROM "organic_sample" WHERE "sampledAt" < $1 LIMIT ${DELETE_BATCH})`,
        [new Date(olderThan)],
      );
      deleted += count;
      if (count < DELETE_BATCH) break;
    }
    const [, count]: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM "organic_sample" WHERE "sampleId" IN (
         SELECT "sampleId" FROM (
           SELECT "sampleId", row_number() OVER (PARTITION BY "taskType" ORDER BY "sampledAt" DESC) AS "rank"
           FROM "organic_sample") AS "ranked"
         WHERE "rank" > $1)`,
      [keepPerTaskType],
    );
    return deleted + count;
  }

  async counts(): Promise<Record<string, number>> {
    const rows: { taskType: string; count: string }[] = await this.dataSource.query(
      `SELECT "taskType", count(*) AS "count" FROM "organic_sample" GROUP BY "taskType"`,
    );
    return Object.fromEntries(rows.map((row) => [row.taskType, Number(row.count)]));
  }
}
