/**
 * A model replica in the test process that follows a run the way any newcomer does (the shared
 * `@cohort/replica` loader: the newest checkpoint at or before the window, then the published
 * aggregates): what cheaters that *train* need (a lazy miner, a poisoner), and what the adversary runs
 * use to measure the held-out loss of the run's model. Each follower has its own engine, so its
 * optimizer state and error feedback are its own, like a real miner's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aggregateKey, checkpointKeys, latestKey, parseCheckpointManifest, parseLatest } from '@cohort/core';
import type { StoreClient } from '@cohort/kit';
import { createEngine } from '@cohort/native';
import type { Dataset, Engine, Preset, TrainerOptions } from '@cohort/native';
import { Replica, listCheckpointWindows, loadCheckpoint } from '@cohort/replica';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What a follower needs. */
export interface FollowerOptions {
  readonly store: StoreClient;
  readonly runId: string;
  /** α of the run's outer step. */
  readonly alpha: number;
  readonly trainer: Partial<TrainerOptions>;
  /** Model preset of the run (default `devnet`). */
  readonly preset?: Preset;
}

/** A replica of the run's θ in this process. */
export class RunFollower {
  readonly #o: FollowerOptions;
  readonly #scratch = mkdtempSync(join(tmpdir(), 'cohort-follower-'));
  readonly replica: Replica;

  private constructor(o: FollowerOptions, replica: Replica) {
    this.#o = o;
    this.replica = replica;
  }

  static async create(o: FollowerOptions): Promise<RunFollower> {
    const engine = await createEngine({
      preset: o.preset ?? 'devnet',
      device: 'cpu',
      threads: 1,
      trainer: o.trainer,
    });
    return new RunFollower(o, await Replica.create(engine, o.runId, o.alpha));
  }

  get engine(): Engine {
    return this.replica.engine;
  }

  /** Bring the replica to θ_window, waiting up to `timeoutMs` for what is not published yet. */
  async syncTo(window: number, timeoutMs: number): Promise<boolean> {
    const { store, runId } = this.#o;
    const deadline = Date.now() + timeoutMs;
    if (this.replica.window < 0 || this.replica.window > window) {
      if (!(await this.#reload(window))) return false;
    }
    while (this.replica.window < window) {
      const s = this.replica.window;
      const aggregate = await store.get(aggregateKey(runId, s));
      if (aggregate !== undefined) {
        await this.replica.apply(aggregate.bytes);
        continue;
      }
      const next = await store.get(checkpointKeys(runId, s + 1).manifest);
      if (
        next !== undefined &&
        parseCheckpointManifest(next.bytes, { runId, window: s + 1 }).stateFingerprint ===
          this.replica.fingerprint
      ) {
        this.replica.carryOver();
        continue;
      }
      if (Date.now() > deadline) return false;
      await sleep(200);
    }
    return true;
  }

  async #reload(window: number): Promise<boolean> {
    const { store, runId } = this.#o;
    const pointer = await store.get(latestKey(runId));
    const latest = pointer === undefined ? undefined : parseLatest(pointer.bytes).window;
    const listed = (await listCheckpointWindows({ store, runId })).filter((w) => w <= window);
    const candidates = [
      ...new Set([...(latest !== undefined && latest <= window ? [latest] : []), ...listed]),
    ];
    for (const w of candidates) {
      try {
        await loadCheckpoint(
          { runId, store, preset: this.#o.preset ?? 'devnet', scratchDir: this.#scratch },
          this.replica,
          w,
        );
        this.replica.anchor(w);
        return true;
      } catch {
        this.replica.invalidate();
      }
    }
    return false;
  }

  /** Train `steps` inner steps on `indices` from θ_w; returns Δ = θ_w − θ and leaves θ at θ_w. */
  async delta(dataset: Dataset, indices: Uint32Array, steps: number): Promise<Float32Array> {
    await this.engine.snapshot();
    await this.engine.trainInner(dataset, 'train', indices, steps);
    return this.engine.pseudoGradient();
  }

  /** Mean loss of the held-out split's first `samples` samples on the current θ. */
  async heldoutLoss(dataset: Dataset, samples: number): Promise<number> {
    const n = Math.min(samples, dataset.sampleCount('heldout'));
    return this.engine.evalLoss(
      dataset,
      'heldout',
      Uint32Array.from({ length: n }, (_, i) => i),
      8,
    );
  }

  async close(): Promise<void> {
    await this.engine.dispose();
    rmSync(this.#scratch, { recursive: true, force: true });
  }
}
