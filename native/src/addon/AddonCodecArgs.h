// Argument readers of the codec exports (AddonCodec.h): limits, expectations, headers and codec parameters
// as ts/codec.ts passes them, and untrusted byte buffers held in place for a pool thread. TS validates
// first; these throw cohort::InvalidArgumentError for a caller that bypasses it.
#pragma once

#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>

#include "cohort/codec/wire.h"

namespace cohort::addon {

// A typed array read in place by a pool thread. The reference keeps the array alive until the job (and
// every copy of this struct) is destroyed, which happens on the JS thread when the worker completes.
template <typename T>
struct HeldArray {
  std::shared_ptr<Napi::Reference<Napi::TypedArrayOf<T>>> ref;
  const T* data = nullptr;
  size_t length = 0;
};

// info value as a Uint8Array held in place.
HeldArray<uint8_t> held_bytes(const Napi::Value& value, const std::string& what);
// info value as a Float32Array held in place.
HeldArray<float> held_floats(const Napi::Value& value, const std::string& what);

// A 32-byte Uint8Array copied out (public keys, fingerprints).
codec::Bytes32 bytes32_value(const Napi::Value& value, const std::string& what);
// A window: a bigint or a non-negative safe integer.
uint64_t window_value(const Napi::Value& value, const std::string& what);
// True when the value is null or undefined (an unchecked expectation).
bool is_absent(const Napi::Value& value);

// {maxBytes, maxTensors, maxElements, maxAbsValue}.
codec::DecodeLimits decode_limits_value(const Napi::Value& value);
// {runId, window, hotkey, modelFingerprint}, each null (or absent) when not checked.
codec::Expectations expectations_value(const Napi::Value& value);
// {tileSide, topk, indexCoding: 'rice' | 'packed12'}.
codec::CodecParams codec_params_value(const Napi::Value& value);
// {runId, window, hotkey, stateFingerprint, dataReceipt?}: the header fields a writer supplies. With
// `state_absent`, a null stateFingerprint is allowed (left zero) and reported there.
codec::ObjectHeader object_header_value(const Napi::Value& value, bool with_receipt, bool* state_absent = nullptr);
// 'f32' | 'bf16' | 'f16'.
codec::DType dtype_value(const Napi::Value& value, const std::string& what);

}  // namespace cohort::addon
