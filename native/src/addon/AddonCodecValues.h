// What the codec exports compute on a pool thread (plain C++ values) and how they become JS values on the
// JS thread. Bulk arrays cross without a copy: a std::vector moves into an external ArrayBuffer that frees
// it when the GC collects the array.
#pragma once

#include <napi.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "cohort/codec/aggregate.h"
#include "cohort/codec/wire.h"

namespace cohort::addon {

// One tensor's kept entries: ascending row-major flat indices and their fp32 values.
struct SparseTensorOut {
  codec::TensorEntry entry;
  std::vector<uint32_t> indices;
  std::vector<float> values;
};

// A decoded update tensor as flat ascending indices and dequantized values (linear time: one bucket pass
// per row band of tiles, no sort).
SparseTensorOut sparse_tensor(const codec::DecodedTensor& t, const codec::CodecParams& params);
// An aggregate tensor, already ascending; its vectors are moved.
SparseTensorOut sparse_tensor(codec::AggregateTensor&& t);

// The header-level facts of a decoded object.
struct ObjectSummary {
  uint8_t format_version = codec::kFormatVersion;  // the wire-format version the object is in
  uint64_t size_bytes = 0;
  codec::ObjectHeader header;
  codec::Bytes32 model_fingerprint{};
  codec::Bytes32 digest{};
  std::array<uint8_t, codec::kSignatureBytes> signature{};
  uint64_t tensor_count = 0;
  uint64_t value_count = 0;  // kept values (updates) or aggregate entries
};

// The last 64 bytes of a complete object.
std::array<uint8_t, codec::kSignatureBytes> trailing_signature(const uint8_t* data, size_t size);

// A rejection of untrusted bytes, as a result rather than an exception.
struct Rejection {
  std::string reason;
  std::string detail;
};
Rejection rejection_of(const codec::CodecError& e);

// {ok: false, reason, detail}.
Napi::Object rejection_js(Napi::Env env, const Rejection& r);
// A new Uint8Array holding a copy of `size` bytes (small fields: keys, digests).
Napi::Uint8Array bytes_js(Napi::Env env, const uint8_t* data, size_t size);
inline Napi::Uint8Array bytes_js(Napi::Env env, const codec::Bytes32& b) { return bytes_js(env, b.data(), b.size()); }
// A Uint8Array over `bytes` without a copy.
Napi::Uint8Array bytes_js(Napi::Env env, std::vector<uint8_t>&& bytes);
// {formatVersion, sizeBytes, digest, runId, window, hotkey, modelFingerprint, stateFingerprint, dataReceipt,
// signature, tensorCount, <count_key>, codec: {tileSide, topk, indexCoding}}.
Napi::Object summary_js(Napi::Env env, const ObjectSummary& s, const char* count_key);
// [{name, dtype, shape, indices: Uint32Array, values: Float32Array}], moving the vectors out.
Napi::Array tensors_js(Napi::Env env, std::vector<SparseTensorOut>& tensors);

}  // namespace cohort::addon
