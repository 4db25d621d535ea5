// Argument readers for addon entry points. TS validates first (ts/add-scaled.ts); these only keep a
// caller that bypasses it from reaching the engine with the wrong types, by throwing
// cohort::InvalidArgumentError, which the entry point maps like any engine error.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cohort::addon {

// info[index] as a Float32Array.
Napi::Float32Array float32_array_arg(const Napi::CallbackInfo& info, size_t index, const char* what);

// info[index] as a number (any double: range checks belong to the engine op).
double number_arg(const Napi::CallbackInfo& info, size_t index, const char* what);

// Value-level readers for option objects and other arguments; `what` names the value in errors.
double number_value(const Napi::Value& value, const std::string& what);
int64_t integer_value(const Napi::Value& value, const std::string& what);  // a safe integer
std::string string_value(const Napi::Value& value, const std::string& what);
bool boolean_value(const Napi::Value& value, const std::string& what);
Napi::Object object_value(const Napi::Value& value, const std::string& what);
// A Uint32Array's elements copied out (so the array need not outlive the call).
std::vector<int64_t> uint32_array_value(const Napi::Value& value, const std::string& what);
// A Uint8Array's bytes copied out; `size` (when not SIZE_MAX) is the exact length required.
std::vector<uint8_t> bytes_value(const Napi::Value& value, const std::string& what, size_t size = SIZE_MAX);

}  // namespace cohort::addon
