// Argument readers for addon entry points. TS validates first (ts/add-scaled.ts); these only keep a
// caller that bypasses it from reaching the engine with the wrong types, by throwing
// cohort::InvalidArgumentError, which the entry point maps like any engine error.
#pragma once

#include <napi.h>

#include <cstddef>

namespace cohort::addon {

// info[index] as a Float32Array.
Napi::Float32Array float32_array_arg(const Napi::CallbackInfo& info, size_t index, const char* what);

// info[index] as a number (any double: range checks belong to the engine op).
double number_arg(const Napi::CallbackInfo& info, size_t index, const char* what);

}  // namespace cohort::addon
