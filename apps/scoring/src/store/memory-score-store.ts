import type { MinerSession, MinerTaskScore, ScoreRecord, ScoreStore } from './score-store';

/** A ScoreStore in memory, for tests: the same contract as the Postgres one, serialised per uid. */
export class MemoryScoreStore implements ScoreStore {
  readonly records = new Map<string, ScoreRecord>();
  readonly scores = new Map<string, MinerTaskScore>();
  private readonly queues = new Map<number, Promise<unknown>>();

  async withMiner<T>(uid: number, work: (session: MinerSession) => Promise<T>): Promise<T> {
    const previous = this.queues.get(uid) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.transaction(uid, work));
    this.queues.set(uid, run);
    return run;
  }

  // Changes stay private to the session until `work` succeeds, then apply at once: all or nothing.
  private async transaction<T>(uid: number, work: (session: MinerSession) => Promise<T>): Promise<T> {
    const added = new Map<string, ScoreRecord>();
    const saved = new Map<string, MinerTaskScore>();
    const dropped = { all: false };
    const current = () => [
      ...(dropped.all
        ? []
        : [...this.scores.values()].filter((score) => score.uid === uid && !saved.has(score.taskType))),
      ...saved.values(),
    ];
    const session: MinerSession = {
      hasRecord: (responseId) => Promise.resolve(this.records.has(responseId) || added.has(responseId)),
      taskScores: () => Promise.resolve(current()),
      scoredSince: (hotkey, since) =>
        Promise.resolve(
          [...this.records.values(), ...added.values()]
            .filter(
              (record) =>
                record.minerUid === uid &&
                record.minerHotkey === hotkey &&
                record.outcome === 'scored' &&
                record.recordedAt > since,
            )
            .map((record) => record.recordedAt),
        ),
      forget: () => {
        dropped.all = true;
        saved.clear();
        return Promise.resolve();
      },
      saveTaskScore: (score) => {
        saved.set(score.taskType, score);
        return Promise.resolve();
      },
      addRecord: (record) => {
        if (this.records.has(record.responseId) || added.has(record.responseId)) {
          return Promise.reject(new Error(`duplicate key: response ${record.responseId}`));
        }
        added.set(record.responseId, record);
        return Promise.resolve();
      },
    };
    const result = await work(session);
    if (dropped.all) {
      for (const [key, score] of this.scores) if (score.uid === uid) this.scores.delete(key);
    }
    for (const score of saved.values()) this.scores.set(`${uid}/${score.taskType}`, score);
    for (const record of added.values()) this.records.set(record.responseId, record);
    return result;
  }

  taskScores(): Promise<MinerTaskScore[]> {
    return Promise.resolve([...this.scores.values()].sort((a, b) => a.uid - b.uid));
  }

  forgetHotkeys(miners: readonly { uid: number; hotkey: string }[]): Promise<void> {
    for (const [key, score] of this.scores) {
      if (miners.some(({ uid, hotkey }) => score.uid === uid && score.hotkey === hotkey)) {
        this.scores.delete(key);
      }
    }
    return Promise.resolve();
  }

  taskScoresOf(uid: number): Promise<MinerTaskScore[]> {
    return Promise.resolve([...this.scores.values()].filter((score) => score.uid === uid));
  }

  recentRecords(uid: number, limit: number): Promise<ScoreRecord[]> {
    return Promise.resolve(
      [...this.records.values()]
        .filter((record) => record.minerUid === uid)
        .sort((a, b) => b.recordedAt - a.recordedAt || a.responseId.localeCompare(b.responseId))
        .slice(0, limit),
    );
  }

  deleteRecordsBefore(at: number): Promise<number> {
    let deleted = 0;
    for (const [id, record] of this.records) {
      if (record.recordedAt < at) {
        this.records.delete(id);
        deleted++;
      }
    }
    return Promise.resolve(deleted);
  }
}
