// CPU reference twin of add_scaled_kernel (add_scaled.cu). Shape suffixes: _N = flat element count.
#include "kernels/add_scaled.h"

#include <cmath>

namespace cohort::kernels {

void add_scaled_ref(float* out_N, const float* x_N, const float* y_N, float alpha, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    out_N[i] = std::fma(alpha, y_N[i], x_N[i]);  // one rounding, exactly like __fmaf_rn
  }
}

}  // namespace cohort::kernels
