// Typed argument readers that throw cohort::InvalidArgumentError (see AddonArgs.h).
#include "addon/AddonArgs.h"

#include <string>

#include "cohort/errors.h"

namespace cohort::addon {
namespace {

std::string describe(const Napi::Value& value) {
  switch (value.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "a number";
    case napi_string: return "a string";
    case napi_bigint: return "a bigint";
    case napi_function: return "a function";
    case napi_object: return value.IsTypedArray() ? "a typed array of another element type" : "an object";
    default: return "a value of another type";
  }
}

}  // namespace

Napi::Float32Array float32_array_arg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  const Napi::Value value = info[index];
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw InvalidArgumentError(expected_message("a Float32Array", what, describe(value)));
  }
  return value.As<Napi::Float32Array>();
}

double number_arg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  const Napi::Value value = info[index];
  if (!value.IsNumber()) {
    throw InvalidArgumentError(expected_message("a number", what, describe(value)));
  }
  return value.As<Napi::Number>().DoubleValue();
}

}  // namespace cohort::addon
