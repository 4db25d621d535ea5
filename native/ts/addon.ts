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
  openDataset(manifestPath: string, verifyHashes: boolean): Promise<NativeDataset>;
  createEngine(options: NativeEngineOptions): Promise<NativeEngine>;
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
  readonly tokens: number;
  readonly seconds: number;
  readonly tokensPerSecond: number;
  /** True when `cancel()` stopped it early (losses holds the steps done). */
  readonly cancelled: boolean;
  /** The optimizer's step count afterwards (drives the learning-rate schedule). */
  readonly step: number;
}

/** An engine handle as the addon returns it (src/addon/AddonEngine.cc). */
export interface NativeEngine {
  info(): {
    preset: string;
    parameterCount: number;
    vocabSize: number;
    maxSeqLen: number;
    device: string;
    computeDtype: string;
    disposed: boolean;
  };
  trainInner(
    dataset: NativeDataset,
    split: string,
    indices: Uint32Array,
    steps: number,
  ): Promise<NativeInnerResult>;
  evalLoss(dataset: NativeDataset, split: string, indices: Uint32Array, microBatch: number): Promise<number>;
  snapshot(): Promise<void>;
  pseudoGradient(): Promise<Float32Array>;
  applyUpdate(update: Float32Array, alpha: number): Promise<void>;
  stateFingerprint(): Promise<string>;
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
  return ['addScaled', 'buildInfo', 'openDataset', 'createEngine'].every(
    (name) => typeof candidate[name] === 'function',
  );
}
