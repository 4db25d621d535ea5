/**
 * The one model replica a gpu-worker serves, and its window state machine:
 *
 *   θ_w (state_window = w) ─TrainWindow(w)→ trained ─EncodeUpdate(w)→ θ_w again (payload kept)
 *        └──────────────── ApplyAggregate(w) → θ_{w+1} (state_window = w + 1) ──┘
 *
 * The seeded initialisation counts as window 0's state; LoadCheckpoint sets any window. Training always
 * starts from θ_w (a finished but unencoded training is discarded first), and every path that leaves a
 * training behind (cancel, error, apply) restores θ_w through the engine's snapshot. Restoring cannot
 * undo the inner AdamW moments (and their bias-correction count) of the discarded steps: they carry on,
 * as they do across windows. The learning rate does not depend on them: inner step s of window w trains
 * at the schedule's rate for (w − runStartWindow) × innerSteps + s, whatever this worker trained or abandoned before (a
 * newcomer, a restart and a long-running worker agree; docs/engine.md, "The learning-rate schedule").
 * The fingerprint of θ_w is cached, so GetStateFingerprint never waits for the engine thread.
 */
import { dataReceipt } from '@cohort/core';
import type { HotkeyPair } from '@cohort/core';
import { signObject } from '@cohort/native';
import type { Dataset, Engine } from '@cohort/native';
import type { RunDataset } from '@cohort/replica';

import { CallGate } from './call-gate.js';
import type { EfStore } from './ef-store.js';
import { badRequest, preconditionError, wrongWindowError } from './worker-errors.js';

/** Codec settings of every encode. */
export interface CodecSettings {
  readonly beta: number;
  readonly tileSide: number;
  readonly topk: number;
  readonly indexCoding: 'rice' | 'packed12';
}

/** What a replica needs; built once by service.ts. */
export interface ReplicaDeps {
  readonly engine: Engine;
  /** The run's dataset (local, or read from the store into a cache); null: TrainWindow is refused. */
  readonly dataset: RunDataset | null;
  readonly efStore: EfStore;
  readonly hotkey: HotkeyPair | null;
  readonly runId: string;
  readonly codec: CodecSettings;
  /**
   * The run's first window (config `runStartWindow`): the schedule counts windows from it, so a run
   * started on a chain far past window 0 still warms up. Default 0.
   */
  readonly runStartWindow?: bigint;
}

/** A signed update payload of one window. */
export interface SignedPayload {
  readonly window: bigint;
  readonly bytes: Uint8Array;
  /** The object digest of its trailer (BLAKE2b-256 of the content: what the hotkey signed). */
  readonly digest: Uint8Array;
  readonly keptValues: number;
  readonly errorFeedbackNorm: number;
}

/** The sample indices of a training call, checked against the dataset. */
export interface TrainPlan {
  readonly window: bigint;
  readonly dataset: Dataset;
  /** Where the samples come from: await its `ensure` before the engine reads them. */
  readonly source: RunDataset;
  readonly indices: Uint32Array;
  readonly steps: number;
  /** The schedule's position of the window's first inner step: (window − runStartWindow) × steps. */
  readonly scheduleStep: number;
}

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

/** The replica; see the module comment for its states. */
export class Replica {
  readonly deps: ReplicaDeps;
  /** One long call at a time. */
  readonly gate = new CallGate();
  #stateWindow: bigint;
  #fingerprint: Uint8Array;
  /** A finished training not encoded yet: θ is trained, the engine's snapshot is θ_w. */
  #trained: { window: bigint; receipt: Uint8Array } | undefined;
  #lastPayload: SignedPayload | undefined;

  private constructor(deps: ReplicaDeps, fingerprint: Uint8Array) {
    this.deps = deps;
    this.#stateWindow = 0n;
    this.#fingerprint = fingerprint;
  }

  /** The replica of a freshly created engine: its seeded parameters are window 0's state. */
  static async create(deps: ReplicaDeps): Promise<Replica> {
    return new Replica(deps, hexBytes(await deps.engine.stateFingerprint()));
  }

  /** The window θ_w belongs to. */
  get stateWindow(): bigint {
    return this.#stateWindow;
  }

  /** The fingerprint of θ_w. */
  get fingerprint(): Uint8Array {
    return this.#fingerprint;
  }

  /** Throws WRONG_WINDOW unless `window` is the state window. */
  requireWindow(what: string, window: bigint): void {
    if (window !== this.#stateWindow) throw wrongWindowError(what, window, this.#stateWindow);
  }

  /** Validate a TrainWindow request into a plan (no state changes). */
  plan(runId: string, window: bigint, innerSteps: number, sampleIds: readonly bigint[]): TrainPlan {
    if (runId !== this.deps.runId) {
      throw preconditionError('WRONG_RUN', `run "${runId}" asked, this worker trains "${this.deps.runId}"`);
    }
    this.requireWindow('TrainWindow', window);
    const source = this.deps.dataset;
    if (source === null) {
      throw preconditionError('NO_DATASET', 'no dataset is configured (datasetManifest or datasetPrefix)');
    }
    const { dataset } = source;
    if (innerSteps < 1 || sampleIds.length === 0 || sampleIds.length % innerSteps !== 0) {
      throw badRequest(
        'BAD_SAMPLES',
        `${sampleIds.length} sample ids cannot be split into ${innerSteps} equal inner steps`,
      );
    }
    const pool = BigInt(dataset.sampleCount('train'));
    const bad = sampleIds.find((id) => id >= pool);
    if (bad !== undefined) {
      throw badRequest('BAD_SAMPLES', `sample id ${bad} is outside the train split (${pool} samples)`);
    }
    // Windows before the run's start (none should be trained) sit at the schedule's origin.
    const start = this.deps.runStartWindow ?? 0n;
    const scheduleStep = (window > start ? window - start : 0n) * BigInt(innerSteps);
    if (scheduleStep + BigInt(innerSteps - 1) > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw badRequest(
        'BAD_WINDOW',
        `window ${window} × ${innerSteps} inner steps is beyond the schedule's range`,
      );
    }
    return {
      window,
      dataset,
      source,
      indices: Uint32Array.from(sampleIds, Number),
      steps: innerSteps,
      scheduleStep: Number(scheduleStep),
    };
  }

  /** Start a training: θ back at θ_w, remembered as the snapshot. */
  async beginTraining(): Promise<void> {
    await this.restore();
    this.#lastPayload = undefined;
    await this.deps.engine.snapshot();
  }

  /** A training finished: remember its receipt for the encode. */
  finishTraining(plan: TrainPlan): Uint8Array {
    const ids = plan.dataset.sampleIds('train', plan.indices);
    const receipt = dataReceipt([...ids]);
    this.#trained = { window: plan.window, receipt };
    return receipt;
  }

  /** Put θ back at θ_w after a training that will not be encoded (a no-op when θ is θ_w). */
  async restore(): Promise<void> {
    if (this.#trained === undefined) return;
    this.#trained = undefined;
    await this.deps.engine.restoreSnapshot(); // θ ← θ_start = θ_w
  }

  /** Put θ back at θ_w after a cancelled or failed training (whose receipt was never recorded). */
  async abandonTraining(): Promise<void> {
    this.#trained = undefined;
    await this.deps.engine.restoreSnapshot();
  }

  /**
   * The window's signed payload: error feedback + encode (θ back at θ_w), signed with the hotkey, the
   * error feedback persisted before it is returned. A repeated call for the same window, with no training
   * since, returns the same payload again (a lost stream must not fold Δ into e twice).
   */
  async encode(window: bigint): Promise<{ payload: SignedPayload; resent: boolean }> {
    const { hotkey, engine, codec } = this.deps;
    if (hotkey === null) throw preconditionError('NO_HOTKEY', 'no hotkeySeed is configured to sign payloads');
    this.requireWindow('EncodeUpdate', window);
    if (this.#trained === undefined && this.#lastPayload?.window === window) {
      return { payload: this.#lastPayload, resent: true };
    }
    const trained = this.#trained;
    if (trained?.window !== window) {
      throw preconditionError('NOT_TRAINED', `window ${window} was not trained (TrainWindow first)`);
    }
    const update = await engine.encodeUpdate({
      runId: this.deps.runId,
      window: Number(window),
      hotkey: hotkey.publicKey,
      dataReceipt: trained.receipt,
      ...codec,
    });
    this.#trained = undefined;
    signObject(update.bytes, hotkey);
    const payload: SignedPayload = {
      window,
      bytes: update.bytes,
      digest: update.digest,
      keptValues: update.keptValues,
      errorFeedbackNorm: update.errorFeedbackNorm,
    };
    this.#lastPayload = payload; // kept even when persisting fails: e already holds this encode
    const values = await engine.errorFeedbackState();
    if (values !== null) await this.deps.efStore.save({ window, values });
    return { payload, resent: false };
  }

  /** The outer step with window w's aggregate: θ_{w+1} = θ_w − α·A_w. Returns θ_{w+1}'s fingerprint. */
  async apply(window: bigint, alpha: number, aggregate: Uint8Array): Promise<Uint8Array> {
    this.requireWindow('ApplyAggregate', window);
    await this.restore();
    // θ_w's fingerprint: an aggregate computed from another state is refused (WRONG_STATE), not applied.
    await this.deps.engine.applyAggregate(aggregate, alpha, {
      runId: this.deps.runId,
      window: Number(window),
      stateFingerprint: this.#fingerprint,
    });
    return this.#advance(window + 1n);
  }

  /**
   * Replace θ from a local checkpoint directory as window `window`'s state; `expectedHash` (hex
   * BLAKE2b-256 of model.safetensors) is checked by the engine before anything changes.
   */
  async load(dir: string, window: bigint, expectedHash?: string): Promise<Uint8Array> {
    // Validates first: nothing changes on a bad checkpoint.
    await this.deps.engine.loadCheckpoint(dir, expectedHash === undefined ? {} : { expectedHash });
    this.#trained = undefined;
    return this.#advance(window);
  }

  /**
   * Mark θ as no window's state (GetInfo reports -1): a loaded checkpoint turned out not to be what its
   * manifest promised, so nothing may be trained or applied on it until a good one is loaded.
   */
  forget(): void {
    this.#trained = undefined;
    this.#lastPayload = undefined;
    this.#stateWindow = -1n;
  }

  async #advance(window: bigint): Promise<Uint8Array> {
    this.#lastPayload = undefined;
    this.#stateWindow = window;
    this.#fingerprint = hexBytes(await this.deps.engine.stateFingerprint());
    return this.#fingerprint;
  }
}
