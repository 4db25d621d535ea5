// The codec's cross-chunk reduction order (protocol §3, docs/wire-format.md): a fixed pairwise tree taken
// level by level. At each level, with n partials left, p[i] = p[2i] + p[2i+1] for i < ⌊n/2⌋ and an odd last
// partial moves up unchanged, until one is left. Every fp64 addition is one rounding, in exactly this
// shape, so the CPU (here) and the GPU (a block per tensor walking the same levels, quantize_codes.cu)
// get the same bits while the GPU sums thousands of chunk partials in log2(n) parallel steps instead of n
// sequential ones. (Why not the sequential order the codec used first: ADR 0020.) Plain C++, nvcc-clean.
#pragma once

#include <cstdint>

namespace cohort::kernels {

// Σ p[0..n) in the pairwise tree order, in place (p is clobbered: p[0] ends as the sum). n == 0 sums to 0.
// In place is safe walking i upwards: p[i] is written only after p[2i] and p[2i+1] (both ≥ i) are read,
// and no later pair reads an index ≤ i.
inline double pairwise_sum_in_place(double* p, int64_t n) {
  if (n <= 0) return 0.0;
  while (n > 1) {
    const int64_t half = n / 2;
    for (int64_t i = 0; i < half; ++i) {
      p[i] = p[2 * i] + p[2 * i + 1];
    }
    if ((n & 1) != 0) {
      p[half] = p[n - 1];
    }
    n -= half;
  }
  return p[0];
}

}  // namespace cohort::kernels
