/**
 * Engines: one model replica (a LLaMA preset) with its inner AdamW optimizer, on its own native thread.
 * Every slow call returns a Promise and runs off the event loop, so services stay responsive during a
 * window. Model state stays native; JS holds an opaque handle and must `dispose()` it.
 */
import { IllegalStateError, InvalidArgumentError, expectedMessage } from '@cohort/core';

import { nativeAddon } from './addon.js';
import type {
  NativeEncodedUpdate,
  NativeEncodeUpdateOptions,
  NativeEngine,
  NativeEngineOptions,
  NativeInnerResult,
} from './addon.js';
import type { Dataset, Split } from './dataset.js';
import { mapNativeError } from './errors.js';

/** Model presets (native/include/cohort/model_config.h; shapes in docs/engine.md). */
export const PRESETS = ['devnet', '150M', '1B', '8B', '70B'] as const;
/** One of {@link PRESETS}. */
export type Preset = (typeof PRESETS)[number];

/** Inner optimizer settings (the addon's own shape); defaults are protocol §3's production values. */
export type TrainerOptions = NativeEngineOptions['trainer'];

/** {@link createEngine}'s options; everything but `preset` has a default. */
export interface EngineOptions {
  readonly preset: Preset;
  /** Initialisation seed: same seed, same parameters on any device. Default 0. */
  readonly seed?: number;
  /** Default `cpu`. */
  readonly device?: 'cpu' | 'cuda';
  /** Matmul precision; fp32 master weights either way. Default `bf16` on CUDA, `fp32` on CPU. */
  readonly computeDtype?: 'fp32' | 'bf16';
  /**
   * RMSNorm, the QKV split with RoPE, SwiGLU and the loss as fused ops (one pass each way; CUDA kernels, CPU twins)
   * instead of chains of eager ops: less memory traffic and activation memory on a GPU. Default false until
   * the kernels' GPU suite has run on the release (docs/engine.md, "Fused ops").
   */
  readonly fusedOps?: boolean;
  /**
   * On a CUDA device, keep the error feedback in device memory and encode the whole model there in one batch
   * (the codec's CUDA kernels; only the payload's indices and codes reach the host). Ignored on the CPU and
   * where the kernels cannot launch (`info().deviceEncode` says). Default false until the codec's GPU suite
   * has run on the release (docs/codec.md, "On a GPU").
   */
  readonly deviceEncode?: boolean;
  /** libtorch intra-op threads (process-wide); 0 keeps libtorch's default. Default 0. */
  readonly threads?: number;
  readonly trainer?: Partial<TrainerOptions>;
}

/** Protocol §3 defaults of the inner optimizer. */
export const DEFAULT_TRAINER: TrainerOptions = Object.freeze({
  lr: 1.3e-4,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0.1,
  warmupSteps: 1500,
  totalSteps: 140_000,
  minLrRatio: 0.1,
  gradClip: 1.0,
  microBatchSize: 8,
});

/** Codec settings of {@link Engine.encodeUpdate}: protocol §3's production values. */
export const DEFAULT_CODEC = Object.freeze({
  beta: 0.95,
  tileSide: 64,
  topk: 64,
  indexCoding: 'rice',
} as const satisfies Omit<NativeEncodeUpdateOptions, 'runId' | 'window' | 'hotkey' | 'dataReceipt'>);

/** {@link Engine.encodeUpdate}'s options; codec settings default to {@link DEFAULT_CODEC}. */
export type EncodeUpdateOptions = Pick<
  NativeEncodeUpdateOptions,
  'runId' | 'window' | 'hotkey' | 'dataReceipt'
> &
  Partial<Omit<NativeEncodeUpdateOptions, 'runId' | 'window' | 'hotkey' | 'dataReceipt'>>;

/** What {@link Engine.encodeUpdate} produced. */
export type EncodedUpdate = NativeEncodedUpdate;

/** What one {@link Engine.trainInner} call did (fields documented on the binding's shape). */
export type InnerResult = NativeInnerResult;

/** {@link Engine.trainInner}'s options. */
export interface TrainInnerOptions {
  /**
   * The learning-rate schedule's position for the call's first step (a non-negative safe integer): the
   * window's first inner step, `window × innerSteps`. Absent or null: carry on from the last step.
   */
  readonly scheduleStep?: number | null;
}

function invalid(expected: string, what: string, received: unknown, reason: string): never {
  throw new InvalidArgumentError(expectedMessage(expected, what, received), { reason });
}

function checkNumber(value: unknown, what: string, ok: (n: number) => boolean, expected: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value))
    invalid(expected, what, value, 'ENGINE_OPTION_INVALID');
  return value;
}

const isInt = (n: number): boolean => Number.isSafeInteger(n);

function resolveOptions(options: EngineOptions): NativeEngineOptions {
  if (!(PRESETS as readonly unknown[]).includes(options.preset))
    invalid(`one of ${PRESETS.join(', ')}`, 'preset', options.preset, 'UNKNOWN_PRESET');
  const device = options.device ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda')
    invalid('"cpu" or "cuda"', 'device', device, 'ENGINE_OPTION_INVALID');
  const computeDtype = options.computeDtype ?? (device === 'cuda' ? 'bf16' : 'fp32');
  if (computeDtype !== 'fp32' && computeDtype !== 'bf16')
    invalid('"fp32" or "bf16"', 'computeDtype', computeDtype, 'ENGINE_OPTION_INVALID');
  const fusedOps = options.fusedOps ?? false;
  if (typeof fusedOps !== 'boolean') invalid('a boolean', 'fusedOps', fusedOps, 'ENGINE_OPTION_INVALID');
  const deviceEncode = options.deviceEncode ?? false;
  if (typeof deviceEncode !== 'boolean')
    invalid('a boolean', 'deviceEncode', deviceEncode, 'ENGINE_OPTION_INVALID');
  const t = { ...DEFAULT_TRAINER, ...options.trainer };
  return {
    preset: options.preset,
    seed: checkNumber(options.seed ?? 0, 'seed', (n) => isInt(n) && n >= 0, 'a non-negative safe integer'),
    device,
    computeDtype,
    fusedOps,
    deviceEncode,
    threads: checkNumber(
      options.threads ?? 0,
      'threads',
      (n) => isInt(n) && n >= 0 && n <= 1024,
      'an integer in [0, 1024]',
    ),
    trainer: {
      lr: checkNumber(t.lr, 'trainer.lr', (n) => n > 0, 'a positive number'),
      beta1: checkNumber(t.beta1, 'trainer.beta1', (n) => n >= 0 && n < 1, 'a number in [0, 1)'),
      beta2: checkNumber(t.beta2, 'trainer.beta2', (n) => n >= 0 && n < 1, 'a number in [0, 1)'),
      eps: checkNumber(t.eps, 'trainer.eps', (n) => n > 0, 'a positive number'),
      weightDecay: checkNumber(t.weightDecay, 'trainer.weightDecay', (n) => n >= 0, 'a number >= 0'),
      warmupSteps: checkNumber(
        t.warmupSteps,
        'trainer.warmupSteps',
        (n) => isInt(n) && n >= 0,
        'an integer >= 0',
      ),
      totalSteps: checkNumber(
        t.totalSteps,
        'trainer.totalSteps',
        (n) => isInt(n) && n >= 1,
        'an integer >= 1',
      ),
      minLrRatio: checkNumber(
        t.minLrRatio,
        'trainer.minLrRatio',
        (n) => n >= 0 && n <= 1,
        'a number in [0, 1]',
      ),
      gradClip: checkNumber(
        t.gradClip,
        'trainer.gradClip',
        () => true,
        'a finite number (<= 0 disables clipping)',
      ),
      microBatchSize: checkNumber(
        t.microBatchSize,
        'trainer.microBatchSize',
        (n) => isInt(n) && n >= 1,
        'an integer >= 1',
      ),
    },
  };
}

function checkIndices(indices: unknown, what: string): Uint32Array {
  if (!(indices instanceof Uint32Array) || indices.length === 0)
    invalid('a non-empty Uint32Array of sample indices', what, indices, 'BAD_INDICES');
  return indices;
}

/** A model replica. Methods reject with {@link IllegalStateError} after {@link Engine.dispose}. */
export class Engine {
  readonly #native: NativeEngine;
  #disposing: Promise<void> | undefined;

  /** @internal use {@link createEngine}. */
  constructor(native: NativeEngine) {
    this.#native = native;
  }

  /** Preset, parameter count, device and precision. */
  info(): ReturnType<NativeEngine['info']> {
    return this.#native.info();
  }

  /**
   * `steps` optimizer steps on the samples `indices` of `dataset`'s `split`, split into equal consecutive
   * batches (indices.length must be a multiple of steps). Runs on the engine thread.
   *
   * `scheduleStep` puts the learning-rate schedule at that position first (step i of the call then trains
   * at the rate of `scheduleStep + i`); a run trains window w at `w × innerSteps`, so every replica uses the
   * same rate for a window whatever it trained before (docs/engine.md, "The learning-rate schedule").
   * Without it the schedule carries on from where the last step left it (from 0 on a new engine). AdamW's
   * bias correction counts this engine's own updates either way.
   */
  trainInner(
    dataset: Dataset,
    split: Split,
    indices: Uint32Array,
    steps: number,
    options: TrainInnerOptions = {},
  ): Promise<InnerResult> {
    checkIndices(indices, 'indices');
    if (!isInt(steps) || steps < 1 || indices.length % steps !== 0) {
      invalid(`a positive integer dividing ${indices.length}`, 'steps', steps, 'BAD_STEPS');
    }
    const scheduleStep = options.scheduleStep ?? null;
    if (scheduleStep !== null && (!isInt(scheduleStep) || scheduleStep < 0)) {
      invalid('a non-negative safe integer', 'scheduleStep', scheduleStep, 'BAD_SCHEDULE_STEP');
    }
    return this.#call(() => this.#native.trainInner(dataset.native(), split, indices, steps, scheduleStep));
  }

  /** Mean next-token loss on the samples, without gradients, `microBatch` at a time. */
  evalLoss(dataset: Dataset, split: Split, indices: Uint32Array, microBatch = 8): Promise<number> {
    checkIndices(indices, 'indices');
    if (!isInt(microBatch) || microBatch < 1)
      invalid('a positive integer', 'microBatch', microBatch, 'ENGINE_OPTION_INVALID');
    return this.#call(() => this.#native.evalLoss(dataset.native(), split, indices, microBatch));
  }

  /** Remember the current parameters as the window's θ_start. */
  snapshot(): Promise<void> {
    return this.#call(() => this.#native.snapshot());
  }

  /**
   * Δ = θ_start − θ as one fp32 vector in canonical parameter order, and θ restored to θ_start. A dense
   * host copy, for models that fit one (tests, the devnet); the codec keeps Δ native at scale.
   */
  pseudoGradient(): Promise<Float32Array> {
    return this.#call(() => this.#native.pseudoGradient());
  }

  /**
   * θ ← θ_start (the last {@link snapshot}), without computing or exporting Δ: the way back after a
   * measurement or a cancelled window. Unlike {@link pseudoGradient} it allocates nothing model-sized
   * (for a 1B model that is 4.7 GB on the device and three times that on the host). IllegalStateError
   * without a snapshot; the snapshot is kept.
   */
  restoreSnapshot(): Promise<void> {
    return this.#call(() => this.#native.restoreSnapshot());
  }

  /** θ ← θ − alpha·update, `update` one fp32 value per parameter in canonical order. */
  applyUpdate(update: Float32Array, alpha: number): Promise<void> {
    if (!(update instanceof Float32Array)) invalid('a Float32Array', 'update', update, 'BAD_UPDATE');
    if (typeof alpha !== 'number' || !Number.isFinite(alpha))
      invalid('a finite number', 'alpha', alpha, 'BAD_UPDATE');
    return this.#call(() => this.#native.applyUpdate(update, alpha));
  }

  /**
   * The window's update (protocol §3): Δ = θ_start − θ (θ restored to θ_start), e ← β·e + Δ in this
   * replica's error feedback, top-k + 2-bit codes per tensor, e ← e − decode(payload), written as an
   * update object whose header carries the fingerprint of θ_start. Sign `digest` and put the signature
   * in the last 64 bytes before publishing. Needs a {@link Engine.snapshot} first.
   */
  encodeUpdate(options: EncodeUpdateOptions): Promise<EncodedUpdate> {
    const o = { ...DEFAULT_CODEC, ...options };
    if (typeof o.runId !== 'string' || o.runId.length === 0)
      invalid('a run id', 'runId', o.runId, 'BAD_UPDATE');
    if (!Number.isSafeInteger(o.window) || o.window < 0)
      invalid('a non-negative safe integer', 'window', o.window, 'BAD_UPDATE');
    for (const key of ['hotkey', 'dataReceipt'] as const) {
      const v = o[key];
      if (!(v instanceof Uint8Array) || v.length !== 32) invalid('32 bytes', key, v, 'BAD_UPDATE');
    }
    if (!Number.isFinite(o.beta) || o.beta < 0 || o.beta > 1)
      invalid('a number in [0, 1]', 'beta', o.beta, 'BAD_UPDATE');
    if (!Number.isInteger(o.tileSide) || o.tileSide < 1 || o.tileSide > 64)
      invalid('an integer in [1, 64]', 'tileSide', o.tileSide, 'BAD_UPDATE');
    if (!Number.isInteger(o.topk) || o.topk < 1 || o.topk > 4096)
      invalid('an integer in [1, 4096]', 'topk', o.topk, 'BAD_UPDATE');
    if (o.indexCoding !== 'rice' && o.indexCoding !== 'packed12')
      invalid('"rice" or "packed12"', 'indexCoding', o.indexCoding, 'BAD_UPDATE');
    return this.#call(() => this.#native.encodeUpdate(o));
  }

  /**
   * The outer step θ ← θ − alpha·A_w for an aggregate object, after validating it (hash, structure,
   * this model's fingerprint and the expected run and window; with `stateFingerprint`, the θ_w the aggregate
   * was computed from, else WRONG_STATE). Rejects with a CodecError carrying the reason code when the object
   * is bad; the parameters are untouched then.
   */
  applyAggregate(
    aggregate: Uint8Array,
    alpha: number,
    expect: { runId?: string; window?: number; stateFingerprint?: Uint8Array } = {},
  ): Promise<{ digest: Uint8Array; contributors: number }> {
    if (!(aggregate instanceof Uint8Array)) invalid('a Uint8Array', 'aggregate', aggregate, 'BAD_UPDATE');
    if (typeof alpha !== 'number' || !Number.isFinite(alpha))
      invalid('a finite number', 'alpha', alpha, 'BAD_UPDATE');
    return this.#call(() => this.#native.applyAggregate(aggregate, alpha, expect));
  }

  /**
   * The error-feedback state e (one fp32 value per parameter, canonical order), or null while it is
   * still zero (no {@link Engine.encodeUpdate} yet): what a worker persists so a restart resumes it.
   */
  errorFeedbackState(): Promise<Float32Array | null> {
    return this.#call(() => this.#native.errorFeedbackState());
  }

  /**
   * Replace e with a persisted {@link Engine.errorFeedbackState} (after a restart). Rejects when the
   * length is not the parameter count or a value is not finite; e is untouched then.
   */
  loadErrorFeedback(values: Float32Array): Promise<void> {
    if (!(values instanceof Float32Array)) invalid('a Float32Array', 'values', values, 'BAD_UPDATE');
    return this.#call(() => this.#native.loadErrorFeedback(values));
  }

  /** BLAKE2b-256 (hex) of every parameter's name, shape and fp32 bits: the sync proof. */
  stateFingerprint(): Promise<string> {
    return this.#call(() => this.#native.stateFingerprint());
  }

  /** Write a Hugging Face checkpoint (model.safetensors + config.json) into `dir`. */
  saveCheckpoint(dir: string): Promise<void> {
    return this.#call(() => this.#native.saveCheckpoint(dir));
  }

  /**
   * Replace the parameters from a checkpoint in `dir`, after checking its hash (when given), config and
   * exact tensor set; on any mismatch nothing changes.
   */
  loadCheckpoint(dir: string, options: { expectedHash?: string } = {}): Promise<void> {
    return this.#call(() => this.#native.loadCheckpoint(dir, options.expectedHash ?? null));
  }

  /** Ask a training call in flight to stop after its current step (its result says `cancelled`). */
  cancel(): void {
    this.#native.cancel();
  }

  /** Stop the engine thread and free the model once queued calls finish. Idempotent. */
  dispose(): Promise<void> {
    this.#disposing ??= this.#native.dispose().catch((error: unknown) => {
      throw mapNativeError(error);
    });
    return this.#disposing;
  }

  async #call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#disposing !== undefined)
      throw new IllegalStateError('the engine was disposed', { reason: 'ENGINE_DISPOSED' });
    try {
      return await fn();
    } catch (error) {
      throw mapNativeError(error);
    }
  }
}

/** Create an engine: the model is initialised from `seed` on a new native thread. */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  const resolved = resolveOptions(options);
  try {
    return new Engine(await nativeAddon().binding.createEngine(resolved));
  } catch (error) {
    throw mapNativeError(error);
  }
}
