// Error feedback + top-k + quantization for one tensor (see cohort/codec/encode.h).
//
// encode_with_feedback makes two passes over e and Δ. The first, chunk by chunk, computes the folded
// values fma(β, e, Δ) in registers, checks them and selects the top-k (topk_fold.h) without writing
// anything, so a non-finite value can still be refused with the buffer untouched. After quantization the
// second pass folds e row block by row block and subtracts the sent values of that block's chunks while
// its rows are still in cache. Both passes compute the same exactly rounded fma, so the buffer ends as it
// would after a separate fold: folded minus what the receivers decode.
#include "cohort/codec/encode.h"

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "cohort/errors.h"
#include "codec/encode_checked.h"
#include "codec/fold.h"
#include "codec/topk_fold.h"

namespace cohort::codec {
namespace {

[[noreturn]] void non_finite(const float* data, int64_t n, const char* what) {
  int64_t i = 0;
  while (i < n && std::isfinite(data[i])) ++i;
  throw InvalidArgumentError(expected_message("finite values", what, "a non-finite value at " + std::to_string(i)));
}

[[noreturn]] void non_finite_feedback() {
  throw InvalidArgumentError(expected_message("finite values", "error feedback β·e + Δ", "a non-finite value"));
}

// Top-k and codes of v = fma(β, e, Δ) (v = e when delta is null), v also stored to `out` when set. False
// (and t unfinished) when some v is not finite.
bool select_and_quantize(const float* e, const float* delta, float beta, float* out, const ChunkPlan& plan,
                         EncodedTensor& t) {
  const auto n = static_cast<size_t>(plan.total_kept());
  t.indices.resize(n);
  t.codes.resize(n);
  std::vector<float> values(n);
  if (!detail::select_topk_fold(e, delta, beta, out, plan, t.indices.data(), values.data())) return false;
  t.quant = quantize_values(values.data(), plan, t.codes.data());
  return true;
}

}  // namespace

void detail::fold_and_subtract(float* ef, const float* delta, float beta, const ChunkPlan& plan,
                               const EncodedTensor& t) {
  std::array<float, kCodebookSize> sent{};
  for (int b = 0; b < kCodebookSize; ++b) sent[b] = dequantize(t.quant, static_cast<uint8_t>(b));
  const DimSplit& rows = plan.row_split();
  const int64_t columns = plan.col_split().count;
  const int64_t cols = plan.cols();
  size_t at = 0;
  for (int64_t y = 0; y < rows.count; ++y) {
    if (delta != nullptr) {
      const int64_t first = y * rows.block * cols;
      detail::fold_in_place(ef + first, delta + first, beta, rows.length(y) * cols);
    }
    for (int64_t ch = y * columns; ch < (y + 1) * columns; ++ch) {
      const auto w = static_cast<uint32_t>(plan.chunk_cols(ch));
      // r = i / w for i < 4096, w <= 64: i·⌈2^22/w⌉ overshoots i/w by less than 2^-10 < 1/w.
      const uint32_t magic = ((1U << 22) + w - 1) / w;
      float* origin = ef + plan.chunk_origin(ch);
      const auto end = at + static_cast<size_t>(plan.chunk_k(ch));
      for (; at < end; ++at) {
        const uint32_t i = t.indices[at];
        const uint32_t r = (i * magic) >> 22;
        origin[static_cast<int64_t>(r) * cols + (i - r * w)] -= sent[t.codes[at]];
      }
    }
  }
}

EncodedTensor encode_tensor(const float* data, const ChunkPlan& plan) {
  EncodedTensor t;
  if (!select_and_quantize(data, nullptr, 1.0F, nullptr, plan, t)) non_finite(data, plan.numel(), "tensor to encode");
  return t;
}

EncodedTensor encode_with_feedback(float* ef, const float* delta, float beta, const ChunkPlan& plan) {
  if (!std::isfinite(beta)) {
    throw InvalidArgumentError(expected_message("a finite β", "error-feedback decay", std::to_string(beta)));
  }
  // Pass 1 writes nothing, so a bad Δ leaves the buffer untouched.
  EncodedTensor t;
  if (!select_and_quantize(ef, delta, beta, nullptr, plan, t)) non_finite_feedback();
  detail::fold_and_subtract(ef, delta, beta, plan, t);
  return t;
}

// The caller has checked finiteness: fold into e during the selection pass itself, then only the
// kept positions are touched again.
EncodedTensor detail::encode_with_feedback_checked(float* ef, const float* delta, float beta, const ChunkPlan& plan) {
  EncodedTensor t;
  (void)select_and_quantize(ef, delta, beta, delta != nullptr ? ef : nullptr, plan, t);
  detail::fold_and_subtract(ef, nullptr, beta, plan, t);
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
