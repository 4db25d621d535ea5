// Codec results and their JS shapes (see AddonCodecValues.h).
#include "addon/AddonCodecValues.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "cohort/codec/chunk_plan.h"
#include "cohort/errors.h"

namespace cohort::addon {
namespace {

// An ArrayBuffer that owns `v`'s storage: moved to the heap, freed by the ArrayBuffer's finalizer.
template <typename T>
Napi::ArrayBuffer external_buffer(Napi::Env env, std::vector<T>&& v) {
  if (v.empty()) return Napi::ArrayBuffer::New(env, 0);
  auto holder = std::make_unique<std::vector<T>>(std::move(v));
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(
      env, holder->data(), holder->size() * sizeof(T),
      [](Napi::Env, void*, std::vector<T>* owned) { delete owned; }, holder.get());
  holder.release();  // the finalizer owns it now
  return buffer;
}

const char* dtype_name(codec::DType dtype) {
  switch (dtype) {
    case codec::DType::kF32: return "f32";
    case codec::DType::kBF16: return "bf16";
    case codec::DType::kF16: return "f16";
  }
  return "f32";
}

Napi::Array shape_js(Napi::Env env, const std::vector<int64_t>& shape) {
  Napi::Array out = Napi::Array::New(env, shape.size());
  for (size_t i = 0; i < shape.size(); ++i) out.Set(static_cast<uint32_t>(i), static_cast<double>(shape[i]));
  return out;
}

}  // namespace

SparseTensorOut sparse_tensor(const codec::DecodedTensor& t, const codec::CodecParams& params) {
  const codec::ChunkPlan plan(t.entry.shape, params.tile_side, params.topk);
  const codec::EncodedTensor& d = t.data;
  SparseTensorOut out;
  out.entry = t.entry;
  out.indices.resize(d.indices.size());
  out.values.resize(d.indices.size());
  // Inside one row band of tiles, entries sorted by (row within the band, chunk, index) are ascending in
  // flat order: count entries per band row, then place them in chunk order.
  const codec::DimSplit& rows = plan.row_split();
  const int64_t cx = plan.col_split().count;
  std::vector<size_t> offset(static_cast<size_t>(rows.block) + 1);
  size_t band_begin = 0;
  for (int64_t y = 0; y < rows.count; ++y) {
    std::fill(offset.begin(), offset.end(), 0);
    size_t at = band_begin;
    for (int64_t ch = y * cx; ch < (y + 1) * cx; ++ch) {
      const int64_t w = plan.chunk_cols(ch);
      for (int64_t j = 0; j < plan.chunk_k(ch); ++j, ++at) ++offset[static_cast<size_t>(d.indices[at] / w) + 1];
    }
    for (size_t r = 1; r < offset.size(); ++r) offset[r] += offset[r - 1];
    at = band_begin;
    for (int64_t ch = y * cx; ch < (y + 1) * cx; ++ch) {
      const int64_t w = plan.chunk_cols(ch);
      for (int64_t j = 0; j < plan.chunk_k(ch); ++j, ++at) {
        const size_t to = band_begin + offset[static_cast<size_t>(d.indices[at] / w)]++;
        out.indices[to] = static_cast<uint32_t>(plan.flat_index(ch, d.indices[at]));
        out.values[to] = codec::dequantize(d.quant, d.codes[at]);
      }
    }
    band_begin = at;
  }
  if (band_begin != d.indices.size()) {
    throw InternalError("sparse_tensor: " + t.entry.name + " has " + std::to_string(d.indices.size()) +
                        " entries, its chunk plan " + std::to_string(band_begin));
  }
  return out;
}

SparseTensorOut sparse_tensor(codec::AggregateTensor&& t) {
  return {std::move(t.entry), std::move(t.indices), std::move(t.values)};
}

std::array<uint8_t, codec::kSignatureBytes> trailing_signature(const uint8_t* data, size_t size) {
  std::array<uint8_t, codec::kSignatureBytes> signature{};
  if (size >= codec::kSignatureBytes) std::copy_n(data + size - codec::kSignatureBytes, codec::kSignatureBytes, signature.begin());
  return signature;
}

Rejection rejection_of(const codec::CodecError& e) { return {codec::reason_name(e.reason()), e.detail()}; }

Napi::Object rejection_js(Napi::Env env, const Rejection& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", false);
  o.Set("reason", r.reason);
  o.Set("detail", r.detail);
  return o;
}

Napi::Uint8Array bytes_js(Napi::Env env, const uint8_t* data, size_t size) {
  Napi::Uint8Array out = Napi::Uint8Array::New(env, size);
  if (size != 0) std::memcpy(out.Data(), data, size);
  return out;
}

Napi::Uint8Array bytes_js(Napi::Env env, std::vector<uint8_t>&& bytes) {
  const size_t size = bytes.size();
  return Napi::Uint8Array::New(env, size, external_buffer(env, std::move(bytes)), 0);
}

Napi::Object summary_js(Napi::Env env, const ObjectSummary& s, const char* count_key) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("formatVersion", static_cast<double>(s.format_version));
  o.Set("sizeBytes", static_cast<double>(s.size_bytes));
  o.Set("digest", bytes_js(env, s.digest));
  o.Set("runId", s.header.run_id);
  o.Set("window", Napi::BigInt::New(env, s.header.window));
  o.Set("hotkey", bytes_js(env, s.header.hotkey));
  o.Set("modelFingerprint", bytes_js(env, s.model_fingerprint));
  o.Set("stateFingerprint", bytes_js(env, s.header.state_fingerprint));
  o.Set("dataReceipt", bytes_js(env, s.header.data_receipt));
  o.Set("signature", bytes_js(env, s.signature.data(), s.signature.size()));
  o.Set("tensorCount", static_cast<double>(s.tensor_count));
  o.Set(count_key, static_cast<double>(s.value_count));
  Napi::Object c = Napi::Object::New(env);
  c.Set("tileSide", s.header.codec.tile_side);
  c.Set("topk", s.header.codec.topk);
  c.Set("indexCoding", s.header.codec.index_coding == codec::IndexCoding::kRice ? "rice" : "packed12");
  o.Set("codec", c);
  return o;
}

Napi::Array tensors_js(Napi::Env env, std::vector<SparseTensorOut>& tensors) {
  Napi::Array out = Napi::Array::New(env, tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    SparseTensorOut& t = tensors[i];
    const size_t n = t.indices.size();
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", t.entry.name);
    o.Set("dtype", dtype_name(t.entry.dtype));
    o.Set("shape", shape_js(env, t.entry.shape));
    o.Set("indices", Napi::Uint32Array::New(env, n, external_buffer(env, std::move(t.indices)), 0));
    o.Set("values", Napi::Float32Array::New(env, n, external_buffer(env, std::move(t.values)), 0));
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

}  // namespace cohort::addon
