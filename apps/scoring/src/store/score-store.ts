import type { ResponseStatus } from '@vstack/scoring';

/** Why a response was recorded without a score. */
export type UnscoredReason =
  /** The miner already had its quota of scored responses in the dropout window. */
  | 'dropout'
  /** An organic response outside the spot-check sample. */
  | 'not_sampled';

/** One miner response as scoring recorded it. Times are unix ms. */
export interface ScoreRecord {
  readonly responseId: string;
  readonly taskId: string;
  readonly taskType: string;
  readonly purpose: 'synthetic' | 'organic';
  readonly minerUid: number;
  readonly minerHotkey: string;
  readonly outcome: 'scored' | 'unscored';
  readonly unscoredReason: UnscoredReason | null;
  readonly status: ResponseStatus | null;
  readonly accuracy: number | null;
  readonly speed: number | null;
  /** The combined score, when scored. */
  readonly score: number | null;
  readonly latencyMs: number;
  readonly error: string | null;
  readonly recordedAt: number;
}

/** The moving score of the hotkey holding a uid for one task type, with its counts. */
export interface MinerTaskScore {
  readonly uid: number;
  readonly hotkey: string;
  readonly taskType: string;
  /** The moving score, in [0, 1]. */
  readonly score: number;
  /** Scored responses in the moving score. */
  readonly samples: number;
  /** Responses recorded unscored. */
  readonly unscored: number;
  /** When the last score was added (unix ms). */
  readonly updatedAt: number;
}

/** Reads and writes for one miner (uid) while no other job of that miner runs. */
export interface MinerSession {
  /** True when a response with this id was recorded before. */
  hasRecord(responseId: string): Promise<boolean>;
  /** The miner's moving scores, one per task type. */
  taskScores(): Promise<MinerTaskScore[]>;
  /** When the hotkey's scored responses recorded after `since` were recorded. */
  scoredSince(hotkey: string, since: number): Promise<number[]>;
  /** Drops every moving score of the uid (its hotkey changed). */
  forget(): Promise<void>;
  saveTaskScore(score: MinerTaskScore): Promise<void>;
  /** Adds a record; fails when its responseId exists. */
  addRecord(record: ScoreRecord): Promise<void>;
}

/** Where scores live; the service depends on this so its tests can pass a fake. */
export interface ScoreStore {
  /** Runs `work` for one miner, serialised with every other call for that uid, all or nothing. */
  withMiner<T>(uid: number, work: (session: MinerSession) => Promise<T>): Promise<T>;
  /** Every miner's moving scores. */
  taskScores(): Promise<MinerTaskScore[]>;
  /** Drops the moving scores of these hotkeys on these uids (no longer in the metagraph there). */
  forgetHotkeys(miners: readonly { uid: number; hotkey: string }[]): Promise<void>;
  /** A miner's moving scores. */
  taskScoresOf(uid: number): Promise<MinerTaskScore[]>;
  /** A miner's latest records, newest first. */
  recentRecords(uid: number, limit: number): Promise<ScoreRecord[]>;
  /** Deletes the records made before `at`; returns how many. */
  deleteRecordsBefore(at: number): Promise<number>;
}
