/**
 * Durable commit-reveal state: one small JSON file per pending weight commit, holding the weights and the
 * salt needed to reveal them. It is written (temp file, fsync, rename, directory fsync) *before* the
 * commit is submitted, so a bridge that crashes at any point still knows how to reveal what may have
 * landed; it is deleted once the reveal is included or can no longer happen.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** One pending commit. */
export interface PendingCommit {
  readonly netuid: number;
  readonly hotkey: string;
  readonly uids: readonly number[];
  readonly weights: readonly number[];
  readonly salt: readonly number[];
  /** u64 as a decimal string. */
  readonly versionKey: string;
  /** 0x-hex BLAKE2b-256 commit hash. */
  readonly commitHash: string;
  readonly createdUnixMs: number;
  /** `committing`: written before submission; `committed`: on chain with its reveal window. */
  readonly state: 'committing' | 'committed';
  readonly commitBlock?: number;
  readonly firstRevealBlock?: number;
  readonly lastRevealBlock?: number;
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The reveal store in `<stateDir>/reveals/`. */
export class RevealStore {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'reveals');
  }

  private file(commit: Pick<PendingCommit, 'commitHash'>): string {
    return join(this.dir, `${commit.commitHash.slice(2)}.json`);
  }

  /** Write (or replace) a pending commit durably. */
  async put(commit: PendingCommit): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = this.file(commit);
    const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(commit));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
    await fsyncDir(this.dir);
  }

  /** Forget a commit (revealed, expired, or never landed). */
  async delete(commit: Pick<PendingCommit, 'commitHash'>): Promise<void> {
    await rm(this.file(commit), { force: true });
    await fsyncDir(this.dir).catch(() => undefined);
  }

  /** Every pending commit; unreadable files are skipped and reported through `onBad`. */
  async list(onBad: (file: string, error: string) => void = () => undefined): Promise<PendingCommit[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: PendingCommit[] = [];
    for (const name of names.filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).sort()) {
      try {
        const value = JSON.parse(await readFile(join(this.dir, name), 'utf8')) as PendingCommit;
        if (typeof value.commitHash !== 'string' || !Array.isArray(value.salt))
          throw new Error('missing fields');
        out.push(value);
      } catch (err) {
        onBad(name, (err as Error).message);
      }
    }
    return out;
  }
}
