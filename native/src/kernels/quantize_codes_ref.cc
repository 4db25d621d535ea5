// CPU reference twin of the quantize_codes kernels (quantize_codes.cu), step for step: per-chunk fp64
// partials, then the pairwise tree over the chunk partials (pairwise_sum.h), for Σv, Σc² and the per-bin Σc. Shape suffixes:
// _K = geometry.total_kept(); _C = geometry.chunk_count().
#include "kernels/quantize_codes.h"

#include <array>
#include <cmath>
#include <vector>

#include "kernels/pairwise_sum.h"

namespace cohort::kernels {
namespace {

// Σ f(v) in the canonical order: fp64 sequential within each chunk, then the tree over the chunk partials.
template <class F>
double chunked_sum(const float* values_K, const ChunkGeometry& g, F&& f) {
  std::vector<double> partial_C(static_cast<size_t>(g.chunk_count()));
  for (int64_t ch = 0; ch < g.chunk_count(); ++ch) {
    const int64_t at = g.chunk_offset(ch);
    double partial = 0.0;
    for (int64_t j = at; j < at + g.chunk_k(ch); ++j) {
      partial += f(values_K[j]);
    }
    partial_C[static_cast<size_t>(ch)] = partial;
  }
  return pairwise_sum_in_place(partial_C.data(), g.chunk_count());
}

}  // namespace

QuantResult quantize_codes_ref(const float* values_K, const ChunkGeometry& geometry, uint8_t* codes_K) {
  const int64_t n = geometry.total_kept();
  QuantResult q;
  q.shift = static_cast<float>(chunked_sum(values_K, geometry, [](float v) { return static_cast<double>(v); }) /
                               static_cast<double>(n));
  const double shift = q.shift;
  const double sum_sq = chunked_sum(values_K, geometry, [shift](float v) {
    const double c = static_cast<double>(v) - shift;
    return c * c;
  });
  const double sigma = n > 1 ? std::sqrt(sum_sq / static_cast<double>(n - 1)) : 0.0;
  double scale = 1.5 * sigma;
  if (!(scale > 0.0) || !std::isfinite(scale)) {
    scale = 1.0;
  }
  const int64_t chunks = geometry.chunk_count();
  std::vector<double> partial_4C(static_cast<size_t>(chunks * kCodeBins));  // bin-major: [b · C + ch]
  std::array<int64_t, kCodeBins> count{};
  for (int64_t ch = 0; ch < chunks; ++ch) {
    const int64_t at = geometry.chunk_offset(ch);
    for (int64_t j = at; j < at + geometry.chunk_k(ch); ++j) {
      const double c = static_cast<double>(values_K[j]) - shift;
      const double r = std::nearbyint(c / scale + 2.0);  // default rounding mode: half to even
      const uint8_t code = static_cast<uint8_t>(!(r > 0.0) ? 0 : (r >= 3.0 ? 3 : static_cast<int>(r)));
      codes_K[j] = code;
      partial_4C[static_cast<size_t>(code * chunks + ch)] += c;
      ++count[code];
    }
  }
  for (int b = 0; b < kCodeBins; ++b) {
    const double total = pairwise_sum_in_place(partial_4C.data() + b * chunks, chunks);
    q.lookup[b] = count[b] > 0 ? static_cast<float>(total / static_cast<double>(count[b])) : 0.0F;
  }
  return q;
}

}  // namespace cohort::kernels
