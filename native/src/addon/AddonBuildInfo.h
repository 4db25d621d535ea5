// The `buildInfo` export: cohort::build_info() as a plain JS object (camelCase, null for absent values).
#pragma once

#include <napi.h>

namespace cohort::addon {

// Synchronous: compile-time facts plus a CUDA device count. Throws a named JS error on failure.
Napi::Value AddonBuildInfo(const Napi::CallbackInfo& info);

}  // namespace cohort::addon
