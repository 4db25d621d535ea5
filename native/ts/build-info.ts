/** `buildInfo`: which engine, libtorch and CUDA build the loaded addon is, and what it finds at run time. */
import { nativeAddon } from './addon.js';
import { mapNativeError } from './errors.js';

/** What the loaded native engine was built with and sees; every field is always set. */
export interface BuildInfo {
  /** The engine's version; equals @cohort/native's package version. */
  readonly engineVersion: string;
  /** The libtorch the engine was compiled against, e.g. `1.13.0` (Debian) or `2.5.1` (PyTorch's). */
  readonly torchVersion: string;
  /** True when nvcc compiled the CUDA kernels into this build. */
  readonly cudaKernelsCompiled: boolean;
  /** nvcc's version, e.g. `13.0.88`; null when the kernels were not compiled. */
  readonly cudaCompilerVersion: string | null;
  /** CUDA architectures compiled for, as a CMake list (`80;90`); null when the kernels were not compiled. */
  readonly cudaArchitectures: string | null;
  /** CUDA devices usable by the kernels now; 0 without kernels, driver or device. */
  readonly cudaDeviceCount: number;
  /** The .node file that was loaded. */
  readonly addonPath: string;
}

/**
 * Reports the loaded engine's build, for preflight checks, start-up logs and bug reports. Synchronous;
 * the first call may initialise the CUDA driver (up to a second on large machines), so call it once at
 * start-up rather than per request. Throws the mapped native error, or the addon's load error.
 */
export function buildInfo(): BuildInfo {
  const addon = nativeAddon();
  try {
    const native = addon.binding.buildInfo();
    return Object.freeze({
      engineVersion: native.engineVersion,
      torchVersion: native.torchVersion,
      cudaKernelsCompiled: native.cudaKernelsCompiled,
      cudaCompilerVersion: native.cudaCompilerVersion,
      cudaArchitectures: native.cudaArchitectures,
      cudaDeviceCount: native.cudaDeviceCount,
      addonPath: addon.path,
    });
  } catch (error) {
    throw mapNativeError(error);
  }
}
