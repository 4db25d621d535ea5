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

double number_value(const Napi::Value& value, const std::string& what) {
  if (!value.IsNumber()) throw InvalidArgumentError(expected_message("a number", what, describe(value)));
  return value.As<Napi::Number>().DoubleValue();
}

int64_t integer_value(const Napi::Value& value, const std::string& what) {
  const double n = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : 0.5;
  constexpr double kMaxSafe = 9007199254740991.0;
  if (!value.IsNumber() || n != static_cast<double>(static_cast<int64_t>(n)) || n > kMaxSafe || n < -kMaxSafe) {
    throw InvalidArgumentError(expected_message("a safe integer", what, value.IsNumber() ? std::to_string(n) : describe(value)));
  }
  return static_cast<int64_t>(n);
}

std::string string_value(const Napi::Value& value, const std::string& what) {
  if (!value.IsString()) throw InvalidArgumentError(expected_message("a string", what, describe(value)));
  return value.As<Napi::String>().Utf8Value();
}

bool boolean_value(const Napi::Value& value, const std::string& what) {
  if (!value.IsBoolean()) throw InvalidArgumentError(expected_message("a boolean", what, describe(value)));
  return value.As<Napi::Boolean>().Value();
}

Napi::Object object_value(const Napi::Value& value, const std::string& what) {
  if (!value.IsObject() || value.IsArray() || value.IsTypedArray()) {
    throw InvalidArgumentError(expected_message("an object", what, describe(value)));
  }
  return value.As<Napi::Object>();
}

std::vector<int64_t> uint32_array_value(const Napi::Value& value, const std::string& what) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    throw InvalidArgumentError(expected_message("a Uint32Array", what, describe(value)));
  }
  const Napi::Uint32Array array = value.As<Napi::Uint32Array>();
  return std::vector<int64_t>(array.Data(), array.Data() + array.ElementLength());
}

std::vector<uint8_t> bytes_value(const Napi::Value& value, const std::string& what, size_t size) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw InvalidArgumentError(expected_message("a Uint8Array", what, describe(value)));
  }
  const Napi::Uint8Array array = value.As<Napi::Uint8Array>();
  if (size != SIZE_MAX && array.ElementLength() != size) {
    throw InvalidArgumentError(expected_message(std::to_string(size) + " bytes", what, std::to_string(array.ElementLength()) + " bytes"));
  }
  return std::vector<uint8_t>(array.Data(), array.Data() + array.ElementLength());
}

}  // namespace cohort::addon
