// The `buildInfo` export: cohort::build_info() as a plain JS object (camelCase, null for absent values).
#pragma once

#include <napi.h>

namespace cohort::addon {

// Synchronous: compile-time facts plus a CUDA device count. Throws a named JS error on failure.
Napi::Value AddonBuildInfo(const Napi::CallbackInfo& info);

// cudaMemory(device): { freeBytes, totalBytes } of a CUDA device now, or null (no kernels, driver or such
// device). Synchronous and cheap (one driver query) once the process has a context on the device.
Napi::Value AddonCudaMemory(const Napi::CallbackInfo& info);

}  // namespace cohort::addon
