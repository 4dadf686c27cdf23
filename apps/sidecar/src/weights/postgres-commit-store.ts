import type { PendingCommit, WeightsCommitStore } from '@vstack/chain';
import type { DataSource, Repository } from 'typeorm';
import { WeightsCommitRecord } from './weights-job.entity';

/**
 * The chain lib's commit store on Postgres: a commit made by one sidecar process can be revealed by the next one,
 * or by another replica.
 */
export class PostgresCommitStore implements WeightsCommitStore {
  readonly #commits: Repository<WeightsCommitRecord>;

  constructor(dataSource: DataSource) {
    this.#commits = dataSource.getRepository(WeightsCommitRecord);
  }

  async save(commit: PendingCommit): Promise<void> {
    await this.#commits.upsert(
      {
        hotkey: commit.hotkey,
        netuid: commit.netuid,
        hash: commit.hash,
        commitBlock: commit.commitBlock,
        commit: { ...commit },
      },
      ['hotkey', 'netuid', 'hash'],
    );
  }

  async list(hotkey: string, netuid: number): Promise<PendingCommit[]> {
    const rows = await this.#commits.find({
      where: { hotkey, netuid },
      order: { commitBlock: 'ASC', createdAt: 'ASC' },
    });
    return rows.map((row) => row.commit as PendingCommit);
  }

  async remove(hotkey: string, netuid: number, hash: string): Promise<void> {
    await this.#commits.delete({ hotkey, netuid, hash });
  }
}
