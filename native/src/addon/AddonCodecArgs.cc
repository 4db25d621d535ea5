// Codec argument readers (see AddonCodecArgs.h).
#include "addon/AddonCodecArgs.h"

#include <algorithm>

#include "addon/AddonArgs.h"
#include "cohort/errors.h"

namespace cohort::addon {
namespace {

template <typename T>
HeldArray<T> held_array(const Napi::Value& value, napi_typedarray_type type, const char* expected,
                        const std::string& what) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw InvalidArgumentError(expected_message(expected, what, "another value"));
  }
  const auto array = value.As<Napi::TypedArrayOf<T>>();
  HeldArray<T> held;
  held.ref = std::make_shared<Napi::Reference<Napi::TypedArrayOf<T>>>(Napi::Persistent(array));
  held.data = array.Data();
  held.length = array.ElementLength();
  return held;
}

uint64_t non_negative(const Napi::Value& value, const std::string& what) {
  const int64_t n = integer_value(value, what);
  if (n < 0) throw InvalidArgumentError(expected_message("a non-negative integer", what, std::to_string(n)));
  return static_cast<uint64_t>(n);
}

}  // namespace

HeldArray<uint8_t> held_bytes(const Napi::Value& value, const std::string& what) {
  return held_array<uint8_t>(value, napi_uint8_array, "a Uint8Array", what);
}

HeldArray<float> held_floats(const Napi::Value& value, const std::string& what) {
  return held_array<float>(value, napi_float32_array, "a Float32Array", what);
}

codec::Bytes32 bytes32_value(const Napi::Value& value, const std::string& what) {
  const std::vector<uint8_t> bytes = bytes_value(value, what, 32);
  codec::Bytes32 out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

uint64_t window_value(const Napi::Value& value, const std::string& what) {
  if (value.IsBigInt()) {
    bool lossless = false;
    const uint64_t w = value.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) throw InvalidArgumentError(expected_message("a window in [0, 2^64)", what, "a bigint out of range"));
    return w;
  }
  return non_negative(value, what);
}

bool is_absent(const Napi::Value& value) { return value.IsNull() || value.IsUndefined(); }

codec::DecodeLimits decode_limits_value(const Napi::Value& value) {
  const Napi::Object o = object_value(value, "limits");
  codec::DecodeLimits limits;
  limits.max_bytes = non_negative(o.Get("maxBytes"), "limits.maxBytes");
  const uint64_t tensors = non_negative(o.Get("maxTensors"), "limits.maxTensors");
  if (tensors > UINT32_MAX) {
    throw InvalidArgumentError(expected_message("at most 2^32-1", "limits.maxTensors", std::to_string(tensors)));
  }
  limits.max_tensors = static_cast<uint32_t>(tensors);
  limits.max_elements = non_negative(o.Get("maxElements"), "limits.maxElements");
  const double max_abs = number_value(o.Get("maxAbsValue"), "limits.maxAbsValue");
  if (!(max_abs > 0.0) || max_abs > 3.0e38) {
    throw InvalidArgumentError(expected_message("a positive float32", "limits.maxAbsValue", std::to_string(max_abs)));
  }
  limits.max_abs_value = static_cast<float>(max_abs);
  return limits;
}

codec::Expectations expectations_value(const Napi::Value& value) {
  const Napi::Object o = object_value(value, "expect");
  codec::Expectations expect;
  if (const Napi::Value v = o.Get("runId"); !is_absent(v)) expect.run_id = string_value(v, "expect.runId");
  if (const Napi::Value v = o.Get("window"); !is_absent(v)) expect.window = window_value(v, "expect.window");
  if (const Napi::Value v = o.Get("hotkey"); !is_absent(v)) expect.hotkey = bytes32_value(v, "expect.hotkey");
  if (const Napi::Value v = o.Get("modelFingerprint"); !is_absent(v)) {
    expect.model_fingerprint = bytes32_value(v, "expect.modelFingerprint");
  }
  return expect;
}

codec::CodecParams codec_params_value(const Napi::Value& value) {
  const Napi::Object o = object_value(value, "codec");
  codec::CodecParams params;
  params.tile_side = static_cast<int>(std::clamp<int64_t>(integer_value(o.Get("tileSide"), "codec.tileSide"), -1, 1 << 20));
  params.topk = static_cast<int>(std::clamp<int64_t>(integer_value(o.Get("topk"), "codec.topk"), -1, 1 << 20));
  const std::string coding = string_value(o.Get("indexCoding"), "codec.indexCoding");
  if (coding == "rice") {
    params.index_coding = codec::IndexCoding::kRice;
  } else if (coding == "packed12") {
    params.index_coding = codec::IndexCoding::kPacked12;
  } else {
    throw InvalidArgumentError(expected_message("\"rice\" or \"packed12\"", "codec.indexCoding", coding));
  }
  return params;
}

codec::ObjectHeader object_header_value(const Napi::Value& value, bool with_receipt, bool* state_absent) {
  const Napi::Object o = object_value(value, "header");
  codec::ObjectHeader h;
  h.run_id = string_value(o.Get("runId"), "header.runId");
  h.window = window_value(o.Get("window"), "header.window");
  h.hotkey = bytes32_value(o.Get("hotkey"), "header.hotkey");
  const Napi::Value state = o.Get("stateFingerprint");
  if (state_absent != nullptr) *state_absent = is_absent(state);
  if (state_absent == nullptr || !*state_absent) h.state_fingerprint = bytes32_value(state, "header.stateFingerprint");
  if (with_receipt) h.data_receipt = bytes32_value(o.Get("dataReceipt"), "header.dataReceipt");
  return h;
}

codec::DType dtype_value(const Napi::Value& value, const std::string& what) {
  if (is_absent(value)) return codec::DType::kF32;
  const std::string name = string_value(value, what);
  if (name == "f32") return codec::DType::kF32;
  if (name == "bf16") return codec::DType::kBF16;
  if (name == "f16") return codec::DType::kF16;
  throw InvalidArgumentError(expected_message("\"f32\", \"bf16\" or \"f16\"", what, name));
}

}  // namespace cohort::addon
