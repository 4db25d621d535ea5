/**
 * The validator's score state on disk: every peer's rating, binary EMA and final score, and the last
 * window scored, rewritten atomically (temp file, fsync, rename, directory fsync) after every window so
 * a restarted coordinator continues where it stopped instead of forgetting every miner's history. A file
 * that does not parse is kept aside (`.corrupt-<time>`) and scoring restarts from the prior — loudly.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { isPeerScoreState } from '@cohort/core';
import type { PeerScoreState } from '@cohort/core';
import type { Logger } from '@cohort/kit';

const FORMAT = 'cohort-validator-state/1';

/** What is kept between windows. */
export interface StoredScores {
  readonly lastWindow: number;
  readonly peers: ReadonlyMap<string, PeerScoreState>;
}

/** The score state file of one run in `dir`. */
export class ScoreStateFile {
  readonly path: string;
  readonly #dir: string;
  readonly #log: Logger;

  constructor(dir: string, runId: string, log: Logger) {
    this.#dir = dir;
    this.path = join(dir, `scores-${runId}.json`);
    this.#log = log;
  }

  /** The stored state, or an empty one (first start, or a corrupt file set aside). */
  async load(): Promise<StoredScores> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return { lastWindow: -1, peers: new Map() };
    }
    try {
      const v = JSON.parse(text) as { format?: unknown; lastWindow?: unknown; peers?: unknown };
      if (
        v.format !== FORMAT ||
        !Number.isSafeInteger(v.lastWindow) ||
        typeof v.peers !== 'object' ||
        v.peers === null
      ) {
        throw new Error('not a validator state file');
      }
      const peers = new Map<string, PeerScoreState>();
      for (const [hotkey, state] of Object.entries(v.peers as Record<string, unknown>)) {
        if (!isPeerScoreState(state)) throw new Error(`peer ${hotkey} has a malformed state`);
        peers.set(hotkey, state);
      }
      return { lastWindow: v.lastWindow as number, peers };
    } catch (error) {
      const aside = `${this.path}.corrupt-${Date.now()}`;
      await rename(this.path, aside).catch(() => undefined);
      this.#log.error('score_state_corrupt', { path: this.path, movedTo: aside, error: String(error) });
      return { lastWindow: -1, peers: new Map() };
    }
  }

  /** Replace the stored state atomically. */
  async save(state: StoredScores): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const tmp = `${this.path}.tmp-${process.pid}`;
    const body = JSON.stringify({
      format: FORMAT,
      lastWindow: state.lastWindow,
      peers: Object.fromEntries(state.peers),
    });
    const file = await open(tmp, 'w');
    try {
      await file.writeFile(body);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, this.path);
    const dir = await open(this.#dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
