/** `buildInfo`: which engine, libtorch and CUDA build the loaded addon is, and what it finds at run time. */
import { nativeAddon } from './addon.js';
import type { NativeBuildInfo, NativeCudaMemory } from './addon.js';
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

/** A CUDA device's memory now, as the driver reports it. */
export type CudaMemory = NativeCudaMemory;

/**
 * Device `device`'s free and total memory now (every process's allocations and torch's cached blocks count
 * as used), or null where there is no such device (no kernels, driver or device). For metrics: call it where
 * the process already uses the device, since the first driver query of a process creates its context.
 * Throws InvalidArgumentError for a device that is not an integer in [0, 1024].
 */
export function cudaMemory(device = 0): CudaMemory | null {
  const addon = nativeAddon();
  try {
    const memory = addon.binding.cudaMemory(device);
    return memory === null
      ? null
      : Object.freeze({ freeBytes: memory.freeBytes, totalBytes: memory.totalBytes });
  } catch (error) {
    throw mapNativeError(error);
  }
}
