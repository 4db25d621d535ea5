/** `buildInfo`: which engine, libtorch and CUDA build the loaded addon is, and what it finds at run time. */
import { nativeAddon } from './addon.js';
import type { NativeBuildInfo } from './addon.js';
import { mapNativeError } from './errors.js';

/** What the loaded native engine was built with and sees, and where it was loaded from; every field is set. */
export type BuildInfo = NativeBuildInfo & {
  /** The .node file that was loaded. */
  readonly addonPath: string;
};

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

/** Whether this build can run the engine on a GPU here: CUDA kernels compiled and a device visible. */
export function cudaUsable(): boolean {
  const build = buildInfo();
  return build.cudaKernelsCompiled && build.cudaDeviceCount > 0;
}

/** A service's `device` setting made concrete: `auto` is cuda when {@link cudaUsable}, else cpu. */
export function resolveDevice(choice: 'auto' | 'cpu' | 'cuda'): 'cpu' | 'cuda' {
  if (choice !== 'auto') return choice;
  return cudaUsable() ? 'cuda' : 'cpu';
}
