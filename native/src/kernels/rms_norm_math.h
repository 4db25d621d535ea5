// RMSNorm's formulas, shared by rms_norm.cu and rms_norm_ref.cc (see fused_math.h). Per row of D values:
//   forward:  r = 1 / sqrt(Σ x² / D + eps),  y = x · r · w
//   backward: g = dy · w,  dx = r · g − x · (r³ · Σ g·x / D),  dw = Σ over rows of dy · x · r
// Only the sums' order differs between the twin (sequential) and the kernel (a block reduction).
#pragma once

#include "kernels/fused_math.h"

namespace cohort::kernels {

template <typename A>
COHORT_HD A rms_rstd(A sum_squares, int64_t d, A eps) {
  return A(1) / sqrt_of(sum_squares / static_cast<A>(d) + eps);
}

template <typename A>
COHORT_HD A rms_forward_value(A x, A rstd, A w) {
  return x * rstd * w;
}

// r³ · Σ g·x / D: the per-row coefficient of x in dx.
template <typename A>
COHORT_HD A rms_backward_coefficient(A rstd, A dot, int64_t d) {
  return rstd * rstd * rstd * dot / static_cast<A>(d);
}

template <typename A>
COHORT_HD A rms_dx(A x, A g, A rstd, A coefficient) {
  return rstd * g - x * coefficient;
}

}  // namespace cohort::kernels
