// CPU reference twin of ef_update_kernel (ef_update.cu). Shape suffixes: _N = flat element count.
#include "kernels/ef_update.h"

#include <cmath>

namespace cohort::kernels {

void ef_update_ref(float* ef_N, const float* delta_N, float beta, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    ef_N[i] = std::fma(beta, ef_N[i], delta_N[i]);  // one rounding, exactly like __fmaf_rn
  }
}

}  // namespace cohort::kernels
