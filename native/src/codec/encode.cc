// Error feedback + top-k + quantization for one tensor (see cohort/codec/encode.h).
#include "cohort/codec/encode.h"

#include <cmath>
#include <string>

#include "cohort/codec/topk.h"
#include "cohort/errors.h"
#include "codec/fold.h"
#include "codec/encode_checked.h"

namespace cohort::codec {
namespace {

[[noreturn]] void non_finite(const float* data, int64_t n, const char* what) {
  int64_t i = 0;
  while (i < n && std::isfinite(data[i])) ++i;
  throw InvalidArgumentError(expected_message("finite values", what, "a non-finite value at " + std::to_string(i)));
}

// Encode values already known to be finite.
EncodedTensor encode_finite(const float* data, const ChunkPlan& plan) {
  const auto n = static_cast<size_t>(plan.total_kept());
  EncodedTensor t;
  t.indices.resize(n);
  t.codes.resize(n);
  std::vector<float> values(n);
  select_topk(data, plan, t.indices.data(), values.data());
  t.quant = quantize_values(values.data(), plan, t.codes.data());
  return t;
}

}  // namespace

EncodedTensor encode_tensor(const float* data, const ChunkPlan& plan) {
  if (!detail::fold_is_finite(data, nullptr, 1.0F, plan.numel())) non_finite(data, plan.numel(), "tensor to encode");
  return encode_finite(data, plan);
}

EncodedTensor encode_with_feedback(float* ef, const float* delta, float beta, const ChunkPlan& plan) {
  const int64_t n = plan.numel();
  if (!std::isfinite(beta)) {
    throw InvalidArgumentError(expected_message("a finite β", "error-feedback decay", std::to_string(beta)));
  }
  // Check first so a bad Δ leaves the buffer untouched.
  if (!detail::fold_is_finite(ef, delta, beta, n)) {
    throw InvalidArgumentError(expected_message("finite values", "error feedback β·e + Δ", "a non-finite value"));
  }
  return detail::encode_with_feedback_checked(ef, delta, beta, plan);
}

EncodedTensor detail::encode_with_feedback_checked(float* ef, const float* delta, float beta, const ChunkPlan& plan) {
  if (delta != nullptr) detail::fold_in_place(ef, delta, beta, plan.numel());
  EncodedTensor t = encode_finite(ef, plan);
  int64_t at = 0;
  for (int64_t ch = 0; ch < plan.chunk_count(); ++ch) {
    const int64_t k = plan.chunk_k(ch);
    for (int64_t j = at; j < at + k; ++j) {
      ef[plan.flat_index(ch, t.indices[static_cast<size_t>(j)])] -= dequantize(t.quant, t.codes[static_cast<size_t>(j)]);
    }
    at += k;
  }
  return t;
}

void scatter_add(const EncodedTensor& t, const ChunkPlan& plan, float scale, float* out) {
  int64_t at = 0;
  for (int64_t ch = 0; ch < plan.chunk_count(); ++ch) {
    const int64_t k = plan.chunk_k(ch);
    for (int64_t j = at; j < at + k; ++j) {
      float& slot = out[plan.flat_index(ch, t.indices[static_cast<size_t>(j)])];
      slot = std::fma(scale, dequantize(t.quant, t.codes[static_cast<size_t>(j)]), slot);
    }
    at += k;
  }
}

}  // namespace cohort::codec
