/**
 * The one place that loads cohort's N-API addon (`native/build/cohort_native.node`). Everything else in
 * this package goes through {@link nativeAddon}; other packages never see the binding, only the typed
 * wrappers (`addScaled`, `buildInfo`, ...).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Code, CohortError } from '@cohort/core';

/** `cudaMemory(device)` exactly as the addon returns it (src/addon/AddonBuildInfo.cc). */
export interface NativeCudaMemory {
  /** Bytes the driver reports free on the device. */
  readonly freeBytes: number;
  /** The device's memory in bytes. */
  readonly totalBytes: number;
}

/** `buildInfo()` exactly as the addon returns it (src/addon/AddonBuildInfo.cc). */
export interface NativeBuildInfo {
  /** The engine's version; equals @cohort/native's package version. */
  readonly engineVersion: string;
  /** The libtorch the engine was compiled against, e.g. `1.13.0` (Debian) or `2.11.0` (PyTorch's). */
  readonly torchVersion: string;
  /** True when nvcc compiled the CUDA kernels into this build. */
  readonly cudaKernelsCompiled: boolean;
  /** nvcc's version, e.g. `13.0.88`; null when the kernels were not compiled. */
  readonly cudaCompilerVersion: string | null;
  /** CUDA architectures compiled for, as a CMake list (`80;90`); null when the kernels were not compiled. */
  readonly cudaArchitectures: string | null;
  /** CUDA devices usable by the kernels now; 0 without kernels, driver or device. */
  readonly cudaDeviceCount: number;
}

/**
 * The addon's exports as C++ registers them (src/addon/AddonModule.cc). Raw: no TS validation, and
 * failures are plain `Error`s whose `name` is one of the native error names; wrap every call with
 * `mapNativeError`. Exported for this package's wrappers and tests only (not re-exported by index.ts).
 */
export interface NativeBinding {
  addScaled(x: Float32Array, y: Float32Array, alpha: number): Promise<Float32Array>;
  buildInfo(): NativeBuildInfo;
  cudaMemory(device: number): NativeCudaMemory | null;
  blake2b256(bytes: Uint8Array): Promise<Uint8Array>;
  blake2b256File(path: string, length?: number): Promise<Uint8Array>;
  openDataset(manifestPath: string, verifyHashes: boolean): Promise<NativeDataset>;
  createEngine(options: NativeEngineOptions): Promise<NativeEngine>;
  decodeUpdate(
    bytes: Uint8Array,
    expect: NativeExpectations,
    limits: NativeDecodeLimits,
    materialize: boolean,
  ): Promise<NativeDecodedUpdate>;
  decodeAggregate(
    bytes: Uint8Array,
    expect: NativeExpectations,
    limits: NativeDecodeLimits,
  ): Promise<NativeDecodedAggregate>;
  aggregateUpdates(
    objects: readonly Uint8Array[],
    signatureValid: readonly boolean[],
    header: NativeAggregateHeader,
    expect: NativeAggregateExpectations,
    limits: NativeDecodeLimits,
    formatVersion: number,
    clipTo: readonly number[] | null,
  ): Promise<NativeAggregateResult>;
  encodeUpdate(
    tensors: readonly NativeDenseTensor[],
    header: NativeUpdateHeader,
    codec: NativeCodecParams,
  ): Promise<NativeEncodedObject>;
}

/** Receiver-side caps of a decode (src/addon/AddonCodecArgs.cc; cohort::codec::DecodeLimits). */
export interface NativeDecodeLimits {
  /** Largest object accepted, declared or actual. */
  readonly maxBytes: number;
  readonly maxTensors: number;
  /** Most elements (Σ numel) over the tensor table. */
  readonly maxElements: number;
  /** Largest |shift|, |codebook entry| or |aggregate value|. */
  readonly maxAbsValue: number;
}

/** What a receiver expects of an object's header; null skips the check. */
export interface NativeExpectations {
  readonly runId: string | null;
  readonly window: bigint | null;
  /** The signer's 32-byte sr25519 public key. */
  readonly hotkey: Uint8Array | null;
  /** BLAKE2b-256 of the model's tensor table. */
  readonly modelFingerprint: Uint8Array | null;
}

/** aggregateUpdates' expectations: common ones, plus each object's signer in selection order. */
export interface NativeAggregateExpectations extends Omit<NativeExpectations, 'hotkey'> {
  readonly hotkeys: readonly Uint8Array[] | null;
}

/** Codec parameters of an object's header. */
export interface NativeCodecParams {
  /** Largest chunk side, 1..64. */
  readonly tileSide: number;
  /** Entries kept per chunk, 1..4096. */
  readonly topk: number;
  readonly indexCoding: 'rice' | 'packed12';
}

/** A parameter's dtype in the model (what an update is eventually applied to). */
export type NativeDType = 'f32' | 'bf16' | 'f16';

/** The header-level facts of a decoded update or aggregate (src/addon/AddonCodecValues.cc). */
export interface NativeObjectSummary {
  readonly formatVersion: number;
  readonly sizeBytes: number;
  /** The BLAKE2b-256 trailer: what the signer signed, and the object's identity. */
  readonly digest: Uint8Array;
  readonly runId: string;
  readonly window: bigint;
  /** The signer's public key (the miner for updates, the aggregator for aggregates). */
  readonly hotkey: Uint8Array;
  readonly modelFingerprint: Uint8Array;
  /** Fingerprint of θ_w the object was computed from. */
  readonly stateFingerprint: Uint8Array;
  /** The miner's data receipt (zero for aggregates). */
  readonly dataReceipt: Uint8Array;
  /** The trailer's 64-byte sr25519 signature, not verified by the addon. */
  readonly signature: Uint8Array;
  readonly tensorCount: number;
  readonly codec: NativeCodecParams;
}

/** An update's summary. */
export interface NativeUpdateSummary extends NativeObjectSummary {
  /** Kept entries over all tensors. */
  readonly keptValues: number;
}

/** An aggregate's summary. */
export interface NativeAggregateSummary extends NativeObjectSummary {
  /** Union entries over all tensors. */
  readonly valueCount: number;
}

/** One tensor's kept entries: ascending row-major flat indices and their (dequantized) values. */
export interface NativeSparseTensor {
  readonly name: string;
  readonly dtype: NativeDType;
  readonly shape: readonly number[];
  readonly indices: Uint32Array;
  readonly values: Float32Array;
}

/** A rejection of untrusted bytes: a stable reason (cohort/codec/reason.h) and a human detail. */
export interface NativeRejection {
  readonly ok: false;
  readonly reason: string;
  readonly detail: string;
}

/** decodeUpdate's result; tensors are null unless materialised. */
export type NativeDecodedUpdate =
  | {
      readonly ok: true;
      readonly summary: NativeUpdateSummary;
      readonly tensors: readonly NativeSparseTensor[] | null;
    }
  | NativeRejection;

/** One contributor named in an aggregate. */
export interface NativeAggregateContributor {
  readonly hotkey: Uint8Array;
  /** BLAKE2b-256 digest of the contributor's update object. */
  readonly payloadHash: Uint8Array;
}

/** decodeAggregate's result. */
export type NativeDecodedAggregate =
  | {
      readonly ok: true;
      readonly summary: NativeAggregateSummary;
      readonly contributors: readonly NativeAggregateContributor[];
      readonly tensors: readonly NativeSparseTensor[];
    }
  | NativeRejection;

/** The header fields an aggregate's writer supplies (codec parameters come from the updates). */
export interface NativeAggregateHeader {
  readonly runId: string;
  readonly window: bigint;
  /** The aggregator's public key. */
  readonly hotkey: Uint8Array;
  /** θ_w's fingerprint; null takes the one most included updates share. */
  readonly stateFingerprint: Uint8Array | null;
}

/** What happened to one object of an aggregateUpdates call, in input order. */
export interface NativeContributorResult {
  readonly index: number;
  readonly included: boolean;
  /** Why it was excluded; null when included. */
  readonly reason: string | null;
  readonly detail: string | null;
  /** The header's hotkey and the object's digest; null when the object did not decode. */
  readonly hotkey: Uint8Array | null;
  readonly digest: Uint8Array | null;
}

/** aggregateUpdates' result: the unsigned aggregate (null when no object was valid) and every verdict. */
export interface NativeAggregateResult {
  readonly bytes: Uint8Array | null;
  readonly digest: Uint8Array | null;
  readonly contributors: readonly NativeContributorResult[];
}

/** A dense fp32 tensor for encodeUpdate. */
export interface NativeDenseTensor {
  readonly name: string;
  readonly dtype: NativeDType;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** The header fields an update's writer supplies. */
export interface NativeUpdateHeader extends Omit<NativeAggregateHeader, 'stateFingerprint'> {
  readonly stateFingerprint: Uint8Array;
  readonly dataReceipt: Uint8Array;
}

/** An unsigned object and its digest (what to sign). */
export interface NativeEncodedObject {
  readonly bytes: Uint8Array;
  readonly digest: Uint8Array;
}

/** A dataset handle as the addon returns it (src/addon/AddonDataset.cc). */
export interface NativeDataset {
  readonly seqLen: number;
  readonly vocabSize: number;
  readonly eosToken: number;
  sampleCount(split: string): number;
  sampleIds(split: string, indices: Uint32Array): BigUint64Array;
  close(): void;
}

/** createEngine()'s options exactly as the addon reads them (src/addon/AddonEngineOptions.cc). */
export interface NativeEngineOptions {
  readonly preset: string;
  readonly seed: number;
  readonly device: string;
  readonly computeDtype: string;
  readonly fusedOps: boolean;
  readonly deviceEncode: boolean;
  readonly threads: number;
  readonly trainer: {
    readonly lr: number;
    readonly beta1: number;
    readonly beta2: number;
    readonly eps: number;
    readonly weightDecay: number;
    readonly warmupSteps: number;
    readonly totalSteps: number;
    readonly minLrRatio: number;
    readonly gradClip: number;
    readonly microBatchSize: number;
  };
}

/** trainInner()'s result as the addon returns it (public as `InnerResult`). */
export interface NativeInnerResult {
  /** Mean loss of each optimizer step. */
  readonly losses: Float64Array;
  /** Global gradient norm before clipping, per step. */
  readonly gradNorms: Float64Array;
  /** The scheduled learning rate each step used (a pure function of its schedule step). */
  readonly learningRates: Float64Array;
  readonly tokens: number;
  readonly seconds: number;
  readonly tokensPerSecond: number;
  /** True when `cancel()` stopped it early (losses holds the steps done). */
  readonly cancelled: boolean;
  /** The schedule step afterwards: where the next step's learning rate is read unless a call sets it. */
  readonly step: number;
  /** AdamW updates this engine applied to its moments so far: the bias-correction count, not the schedule. */
  readonly optimizerSteps: number;
}

/** An engine handle as the addon returns it (src/addon/AddonEngine.cc). */
/** Options of the engine's encodeUpdate (AddonEngineCodec.cc). */
export interface NativeEncodeUpdateOptions {
  runId: string;
  window: number;
  /** The miner's sr25519 public key (32 bytes). */
  hotkey: Uint8Array;
  /** The data receipt of protocol §2 (32 bytes). */
  dataReceipt: Uint8Array;
  /** Error-feedback decay β. */
  beta: number;
  tileSide: number;
  topk: number;
  indexCoding: 'rice' | 'packed12';
}

/** What encodeUpdate produced: an unsigned update object and facts about it. */
export interface NativeEncodedUpdate {
  /** The update object; its last 64 bytes (the signature) are zero until signed. */
  bytes: Uint8Array;
  /** BLAKE2b-256 of the content: what the hotkey signs. */
  digest: Uint8Array;
  /** Fingerprint of θ_start (the header's sync proof). */
  stateFingerprint: Uint8Array;
  keptValues: number;
  /** ‖e‖₂ after the residual: the signal still waiting to be sent. */
  errorFeedbackNorm: number;
}

export interface NativeEngine {
  info(): {
    preset: string;
    parameterCount: number;
    vocabSize: number;
    maxSeqLen: number;
    device: string;
    computeDtype: string;
    /** Whether the forward pass runs the fused ops (asked for, and supported on this device and dtype). */
    fusedOps: boolean;
    /** Whether the error feedback lives on the GPU and is encoded there (asked for, and supported). */
    deviceEncode: boolean;
    /** The codec's fingerprint of the model's tensor table (32 bytes): what its updates must carry. */
    modelFingerprint: Uint8Array;
    disposed: boolean;
  };
  /** `scheduleStep` null: carry on from the engine's schedule position; else start the schedule there. */
  trainInner(
    dataset: NativeDataset,
    split: string,
    indices: Uint32Array,
    steps: number,
    scheduleStep: number | null,
  ): Promise<NativeInnerResult>;
  evalLoss(dataset: NativeDataset, split: string, indices: Uint32Array, microBatch: number): Promise<number>;
  snapshot(): Promise<void>;
  restoreSnapshot(): Promise<void>;
  pseudoGradient(): Promise<Float32Array>;
  applyUpdate(update: Float32Array, alpha: number): Promise<void>;
  stateFingerprint(): Promise<string>;
  encodeUpdate(options: NativeEncodeUpdateOptions): Promise<NativeEncodedUpdate>;
  applyAggregate(
    aggregate: Uint8Array,
    alpha: number,
    expect: { runId?: string; window?: number; stateFingerprint?: Uint8Array },
  ): Promise<{ digest: Uint8Array; contributors: number }>;
  /** e in canonical parameter order, or null before the first encodeUpdate (e is zero then). */
  errorFeedbackState(): Promise<Float32Array | null>;
  loadErrorFeedback(values: Float32Array): Promise<void>;
  saveCheckpoint(dir: string): Promise<void>;
  loadCheckpoint(dir: string, expectedHash: string | null): Promise<void>;
  cancel(): void;
  dispose(): Promise<void>;
}

/** A loaded addon and where it came from (reported by `buildInfo()` for bug reports). */
export interface LoadedNativeAddon {
  readonly path: string;
  readonly binding: NativeBinding;
}

const require = createRequire(import.meta.url);
const defaultAddonPath = fileURLToPath(new URL('../build/cohort_native.node', import.meta.url));
const buildHint = 'Run `make build` (or `node native/scripts/build-native.mjs`)';

/**
 * Where the addon is loaded from: `$COHORT_NATIVE_ADDON` when set (a build elsewhere, e.g. a debug build
 * or an image's prebuilt addon), else `native/build/cohort_native.node`. The one environment read outside
 * a `main.ts`: the addon is located before any service config exists, and only this package loads it.
 */
export function nativeAddonPath(): string {
  const override = process.env['COHORT_NATIVE_ADDON'];
  return override === undefined || override === '' ? defaultAddonPath : resolve(override);
}

/**
 * Loads the addon at `path`. Throws a `FailedPrecondition` {@link CohortError} that says what to do when
 * it is not built (`NATIVE_ADDON_MISSING`), cannot be loaded (`NATIVE_ADDON_LOAD_FAILED`, e.g. libtorch
 * missing) or lacks the expected exports (`NATIVE_ADDON_INCOMPATIBLE`, a stale build).
 */
export function openNativeAddon(path: string): LoadedNativeAddon {
  if (!existsSync(path)) {
    throw new CohortError(
      Code.FailedPrecondition,
      `The cohort native addon is not built: ${path} does not exist. ${buildHint}.`,
      {
        reason: 'NATIVE_ADDON_MISSING',
        details: { path },
      },
    );
  }
  let binding: unknown;
  try {
    binding = require(path);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new CohortError(
      Code.FailedPrecondition,
      `The cohort native addon at ${path} could not be loaded (${why}). ${buildHint}; libtorch must be installed ` +
        '(apt-get install libtorch-dev libopenblas0-pthread).',
      { reason: 'NATIVE_ADDON_LOAD_FAILED', cause: error, details: { path } },
    );
  }
  if (!isNativeBinding(binding)) {
    throw new CohortError(
      Code.FailedPrecondition,
      `The cohort native addon at ${path} is stale. ${buildHint} again.`,
      {
        reason: 'NATIVE_ADDON_INCOMPATIBLE',
        details: { path },
      },
    );
  }
  return { path, binding };
}

let loaded: LoadedNativeAddon | undefined;

/**
 * The addon, loaded on first use from {@link nativeAddonPath} (so importing @cohort/native never fails;
 * the first native call does, with a clear error). Internal: tests use it to reach the raw binding and
 * prove that C++ exceptions become typed TS errors.
 */
export function nativeAddon(): LoadedNativeAddon {
  loaded ??= openNativeAddon(nativeAddonPath());
  return loaded;
}

function isNativeBinding(value: unknown): value is NativeBinding {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return [
    'addScaled',
    'buildInfo',
    'openDataset',
    'createEngine',
    'decodeUpdate',
    'decodeAggregate',
    'aggregateUpdates',
    'encodeUpdate',
  ].every((name) => typeof candidate[name] === 'function');
}
