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
  readonly engineVersion: string;
  readonly torchVersion: string;
  readonly cudaKernelsCompiled: boolean;
  readonly cudaCompilerVersion: string | null;
  readonly cudaArchitectures: string | null;
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
  return typeof candidate['addScaled'] === 'function' && typeof candidate['buildInfo'] === 'function';
}
