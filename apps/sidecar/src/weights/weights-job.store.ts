import type { WeightsJobState } from '@vstack/sidecar-client';
import { type DataSource, In, type Repository } from 'typeorm';
import { unfinishedWeightsJobStates, WeightsJobRecord, type WeightsJobSource } from './weights-job.entity';

/** What a new job starts with. */
export interface NewWeightsJob {
  id: string;
  identity: string;
  netuid: number;
  epoch: number;
  source: WeightsJobSource;
  weights: Record<string, number>;
  count: number;
  /** `scheduled` unless the job is refused at once (then `failed` with `lastError`). */
  state?: 'scheduled' | 'failed';
  lastError?: string;
}

/** The fields a job's run changes. */
export type WeightsJobChanges = Partial<
  Pick<
    WeightsJobRecord,
    | 'state'
    | 'mode'
    | 'count'
    | 'attempts'
    | 'txHash'
    | 'block'
    | 'commitHash'
    | 'revealFromBlock'
    | 'revealUntilBlock'
    | 'revealTxHash'
    | 'revealBlock'
    | 'lastError'
    | 'lastAttemptBlock'
  >
>;

/** States in which a job has put nothing on chain yet; a newer job for the same slot replaces it. */
export const replaceableWeightsJobStates: readonly WeightsJobState[] = ['scheduled', 'submitting'];

/** Where weights jobs live; the runner and the API depend on this so their tests can pass a fake. */
export interface WeightsJobStore {
  get(id: string): Promise<WeightsJobRecord | undefined>;
  /** Inserts a job unless one with its id exists; the stored job and whether this call created it. */
  create(job: NewWeightsJob): Promise<{ job: WeightsJobRecord; created: boolean }>;
  /** Applies `changes` if the job is in one of the `from` states; the updated job, or undefined if it was not. */
  update(
    id: string,
    from: readonly WeightsJobState[],
    changes: WeightsJobChanges,
  ): Promise<WeightsJobRecord | undefined>;
  /** The job whose commit put `hash` on chain. */
  findByCommitHash(hash: string): Promise<WeightsJobRecord | undefined>;
  /**
   * Cancels the jobs of the same identity and subnet that were created before `job`, are for its epoch or an
   * earlier one, and have put nothing on chain yet; returns the cancelled jobs.
   */
  supersede(job: WeightsJobRecord, reason: string): Promise<WeightsJobRecord[]>;
  /** The identity's jobs on a subnet, newest first. */
  history(identity: string, netuid: number, limit: number): Promise<WeightsJobRecord[]>;
  /** Every job with work left, oldest first. */
  unfinished(): Promise<WeightsJobRecord[]>;
}

/** Weights jobs in Postgres; every state change is conditional on the state it leaves. */
export class PostgresWeightsJobStore implements WeightsJobStore {
  readonly #jobs: Repository<WeightsJobRecord>;

  constructor(dataSource: DataSource) {
    this.#jobs = dataSource.getRepository(WeightsJobRecord);
  }

  async get(id: string): Promise<WeightsJobRecord | undefined> {
    return (await this.#jobs.findOneBy({ id })) ?? undefined;
  }

  async create(job: NewWeightsJob): Promise<{ job: WeightsJobRecord; created: boolean }> {
    const result = await this.#jobs
      .createQueryBuilder()
      .insert()
      .into(WeightsJobRecord)
      .values({
        id: job.id,
        identity: job.identity,
        netuid: job.netuid,
        epoch: job.epoch,
        source: job.source,
        state: job.state ?? 'scheduled',
        weights: job.weights,
        count: job.count,
        attempts: 0,
        lastError: job.lastError ?? null,
      })
      .orIgnore()
      .returning(['id'])
      .execute();
    const created = Array.isArray(result.raw) && result.raw.length > 0;
    const stored = await this.get(job.id);
    if (!stored) throw new Error(`weights job ${job.id} was not stored`);
    return { job: stored, created };
  }

  async update(
    id: string,
    from: readonly WeightsJobState[],
    changes: WeightsJobChanges,
  ): Promise<WeightsJobRecord | undefined> {
    const result = await this.#jobs
      .createQueryBuilder()
      .update(WeightsJobRecord)
      .set({ ...changes, updatedAt: () => 'now()' })
      .where('id = :id', { id })
      .andWhere('state IN (:...from)', { from })
      .execute();
    if (!result.affected) return undefined;
    return this.get(id);
  }

  async findByCommitHash(hash: string): Promise<WeightsJobRecord | undefined> {
    return (await this.#jobs.findOneBy({ commitHash: hash })) ?? undefined;
  }

  async supersede(job: WeightsJobRecord, reason: string): Promise<WeightsJobRecord[]> {
    const candidates = await this.#jobs
      .createQueryBuilder('job')
      .select('job.id', 'id')
      .where('job.identity = :identity', { identity: job.identity })
      .andWhere('job.netuid = :netuid', { netuid: job.netuid })
      .andWhere('job.id <> :id', { id: job.id })
      .andWhere('job.epoch <= :epoch', { epoch: job.epoch })
      .andWhere('job.state IN (:...states)', { states: replaceableWeightsJobStates })
      // Compared in SQL: the database keeps microseconds, a JS Date only milliseconds.
      .andWhere('job.created_at < (SELECT created_at FROM sidecar_weights_jobs WHERE id = :id)')
      .getRawMany<{ id: string }>();
    const cancelled: WeightsJobRecord[] = [];
    for (const { id } of candidates) {
      const updated = await this.update(id, replaceableWeightsJobStates, {
        state: 'cancelled',
        lastError: reason,
      });
      if (updated) cancelled.push(updated);
    }
    return cancelled;
  }

  history(identity: string, netuid: number, limit: number): Promise<WeightsJobRecord[]> {
    return this.#jobs.find({
      where: { identity, netuid },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: limit,
    });
  }

  unfinished(): Promise<WeightsJobRecord[]> {
    return this.#jobs.find({
      where: { state: In([...unfinishedWeightsJobStates]) },
      order: { createdAt: 'ASC' },
    });
  }
}
