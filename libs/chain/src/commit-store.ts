import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A weights commit waiting for its reveal: everything reveal_weights needs, kept across restarts. */
export interface PendingCommit {
  hotkey: string;
  netuid: number;
  /** The committed hash (0x…). */
  hash: string;
  uids: number[];
  weights: number[];
  salt: number[];
  /** u64 as a decimal string (JSON has no bigint). */
  versionKey: string;
  commitBlock: number;
  /** Reveal is accepted only in blocks firstRevealBlock..lastRevealBlock. */
  firstRevealBlock: number;
  lastRevealBlock: number;
}

/** Where pending commits live between commit and reveal. */
export interface WeightsCommitStore {
  save(commit: PendingCommit): Promise<void>;
  /** The hotkey's pending commits on a subnet, oldest first. */
  list(hotkey: string, netuid: number): Promise<PendingCommit[]>;
  remove(hotkey: string, netuid: number, hash: string): Promise<void>;
}

function sameSlot(commit: PendingCommit, hotkey: string, netuid: number): boolean {
  return commit.hotkey === hotkey && commit.netuid === netuid;
}

/** Keeps commits in memory: for tests, or when a restart may lose a reveal. */
export class MemoryCommitStore implements WeightsCommitStore {
  #commits: PendingCommit[] = [];

  save(commit: PendingCommit): Promise<void> {
    this.#commits = [...this.#commits.filter((c) => c.hash !== commit.hash), structuredClone(commit)];
    return Promise.resolve();
  }

  list(hotkey: string, netuid: number): Promise<PendingCommit[]> {
    return Promise.resolve(
      this.#commits
        .filter((c) => sameSlot(c, hotkey, netuid))
        .sort((a, b) => a.commitBlock - b.commitBlock)
        .map((c) => structuredClone(c)),
    );
  }

  remove(hotkey: string, netuid: number, hash: string): Promise<void> {
    this.#commits = this.#commits.filter((c) => !(sameSlot(c, hotkey, netuid) && c.hash === hash));
    return Promise.resolve();
  }
}

/** Keeps commits in one JSON file, replaced atomically on every change, so a restarted process can reveal. */
export class FileCommitStore implements WeightsCommitStore {
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly path: string) {}

  async #read(): Promise<PendingCommit[]> {
    try {
      const parsed = JSON.parse(await readFile(this.path, 'utf8')) as { commits?: PendingCommit[] };
      return Array.isArray(parsed.commits) ? parsed.commits : [];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async #write(commits: PendingCommit[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify({ commits }, null, 2), { mode: 0o600 });
    await rename(temporary, this.path);
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.catch(() => undefined).then(work);
    this.#queue = run;
    return run;
  }

  save(commit: PendingCommit): Promise<void> {
    return this.#serial(async () => {
      const commits = (await this.#read()).filter((c) => c.hash !== commit.hash);
      await this.#write([...commits, commit]);
    });
  }

  list(hotkey: string, netuid: number): Promise<PendingCommit[]> {
    return this.#serial(async () =>
      (await this.#read())
        .filter((c) => sameSlot(c, hotkey, netuid))
        .sort((a, b) => a.commitBlock - b.commitBlock),
    );
  }

  remove(hotkey: string, netuid: number, hash: string): Promise<void> {
    return this.#serial(async () => {
      const commits = await this.#read();
      const kept = commits.filter((c) => !(sameSlot(c, hotkey, netuid) && c.hash === hash));
      if (kept.length !== commits.length) await this.#write(kept);
    });
  }
}
