/**
 * A model replica that follows a run: θ_s and the window s it belongs to, moved the way every miner moves
 * (a checkpoint, then the published aggregates). The aggregator needs it for the θ_s fingerprint every
 * aggregate names and for checkpoints; an evaluator needs θ_w exactly to score a window-w update. All
 * engine work runs on the engine's native thread behind Promises; the fingerprint is cached after each
 * change. {@link Replica.invalidate} drops a state that can no longer be proven (reload from a checkpoint).
 */
import type { Engine } from '@cohort/native';

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

/** θ_s of one run, with its window and fingerprint. */
export class Replica {
  readonly engine: Engine;
  readonly runId: string;
  /** α of the run's outer step, used to replay aggregates. */
  readonly alpha: number;
  #window = -1;
  #fingerprint: string;

  private constructor(engine: Engine, runId: string, alpha: number, fingerprint: string) {
    this.engine = engine;
    this.runId = runId;
    this.alpha = alpha;
    this.#fingerprint = fingerprint;
  }

  /** The replica of a freshly seeded engine; its window is unknown (-1) until a checkpoint or genesis. */
  static async create(engine: Engine, runId: string, alpha: number): Promise<Replica> {
    return new Replica(engine, runId, alpha, await engine.stateFingerprint());
  }

  /** The window s whose state θ_s the replica holds; -1 when unknown (before the first checkpoint). */
  get window(): number {
    return this.#window;
  }

  /** θ_s's fingerprint, 64 lowercase hex digits. */
  get fingerprint(): string {
    return this.#fingerprint;
  }

  /** θ_s's fingerprint as the 32 bytes wire headers carry. */
  get fingerprintBytes(): Uint8Array {
    return hexBytes(this.#fingerprint);
  }

  /** Declare the current parameters to be θ_window (genesis, or a checkpoint load that was checked). */
  anchor(window: number): void {
    this.#window = window;
  }

  /** Forget which window the parameters belong to: the next job reloads from a checkpoint. */
  invalidate(): void {
    this.#window = -1;
  }

  /**
   * The outer step θ_{s+1} = θ_s − α·A_s. The engine refuses an aggregate of another run, window or θ_s
   * (WRONG_STATE) and leaves the parameters untouched then.
   */
  async apply(aggregate: Uint8Array): Promise<void> {
    await this.engine.applyAggregate(aggregate, this.alpha, {
      runId: this.runId,
      window: this.#window,
      stateFingerprint: this.fingerprintBytes,
    });
    this.#fingerprint = await this.engine.stateFingerprint();
    this.#window += 1;
  }

  /** A window without aggregate (the aggregator published checkpoint s+1 with θ_s): θ_{s+1} = θ_s. */
  carryOver(): void {
    this.#window += 1;
  }

  /**
   * Replace θ from a checkpoint directory, after the engine checked the model file's hash; returns the
   * loaded state's fingerprint. The window stays unknown (-1) until the caller compared the fingerprint
   * with the manifest's and {@link Replica.anchor}ed it.
   */
  async load(dir: string, expectedHash: string): Promise<string> {
    this.#window = -1;
    await this.engine.loadCheckpoint(dir, { expectedHash });
    this.#fingerprint = await this.engine.stateFingerprint();
    return this.#fingerprint;
  }
}
