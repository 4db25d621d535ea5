// 2-bit quantization with a fixed reduction order (see cohort/codec/quantize.h).
#include "cohort/codec/quantize.h"

#include <cmath>
#include <vector>

#include "kernels/pairwise_sum.h"

namespace cohort::codec {
namespace {

// Σ f(values) with the canonical two-level order: fp64 sequential per chunk, then the chunk partials in
// the pairwise tree (kernels/pairwise_sum.h).
template <class F>
double chunked_sum(const float* values, const ChunkPlan& plan, F&& f) {
  std::vector<double> partial(static_cast<size_t>(plan.chunk_count()));
  int64_t at = 0;
  for (int64_t ch = 0; ch < plan.chunk_count(); ++ch) {
    const int64_t k = plan.chunk_k(ch);
    double sum = 0.0;
    for (int64_t j = 0; j < k; ++j) {
      sum += f(values[at + j]);
    }
    partial[static_cast<size_t>(ch)] = sum;
    at += k;
  }
  return kernels::pairwise_sum_in_place(partial.data(), plan.chunk_count());
}

}  // namespace

QuantParams quantize_values(const float* values, const ChunkPlan& plan, uint8_t* codes) {
  const int64_t n = plan.total_kept();
  QuantParams q;
  q.shift = static_cast<float>(chunked_sum(values, plan, [](float v) { return static_cast<double>(v); }) /
                               static_cast<double>(n));
  const double shift = q.shift;
  const double sum_sq = chunked_sum(values, plan, [shift](float v) {
    const double c = static_cast<double>(v) - shift;
    return c * c;
  });
  const double sigma = n > 1 ? std::sqrt(sum_sq / static_cast<double>(n - 1)) : 0.0;
  double scale = 1.5 * sigma;
  if (!(scale > 0.0) || !std::isfinite(scale)) {
    scale = 1.0;
  }
  for (int64_t j = 0; j < n; ++j) {
    const double t = (static_cast<double>(values[j]) - shift) / scale + 2.0;
    const double r = std::nearbyint(t);  // default rounding mode: half to even
    codes[j] = static_cast<uint8_t>(r <= 0.0 ? 0 : (r >= 3.0 ? 3 : r));
  }
  // Bin means with the same two-level order; each bin's partial runs over the chunk in index order.
  const auto chunks = static_cast<size_t>(plan.chunk_count());
  std::vector<double> partial(chunks * kCodebookSize);  // bin-major: partial[b · chunks + ch]
  std::array<int64_t, kCodebookSize> count{};
  int64_t at = 0;
  for (size_t ch = 0; ch < chunks; ++ch) {
    const int64_t k = plan.chunk_k(static_cast<int64_t>(ch));
    for (int64_t j = at; j < at + k; ++j) {
      partial[codes[j] * chunks + ch] += static_cast<double>(values[j]) - shift;
      ++count[codes[j]];
    }
    at += k;
  }
  for (size_t b = 0; b < kCodebookSize; ++b) {
    const double total = kernels::pairwise_sum_in_place(partial.data() + b * chunks, plan.chunk_count());
    q.lookup[b] = count[b] > 0 ? static_cast<float>(total / static_cast<double>(count[b])) : 0.0F;
  }
  return q;
}

}  // namespace cohort::codec
