// CPU twin of swiglu.cu: the same per-element formulas (swiglu_math.h), row by row.
#include "kernels/swiglu.h"

#include "kernels/swiglu_math.h"

namespace cohort::kernels {

template <typename S>
void swiglu_forward_ref(S* out_MF, const S* gate_up_M2F, int64_t m, int64_t f) {
  for (int64_t row = 0; row < m; ++row) {
    for (int64_t col = 0; col < f; ++col) swiglu_forward_at(out_MF + row * f, gate_up_M2F + row * 2 * f, f, col);
  }
}

template <typename S>
void swiglu_backward_ref(S* dgate_up_M2F, const S* gate_up_M2F, const S* dout_MF, int64_t m, int64_t f) {
  for (int64_t row = 0; row < m; ++row) {
    for (int64_t col = 0; col < f; ++col) {
      swiglu_backward_at(dgate_up_M2F + row * 2 * f, gate_up_M2F + row * 2 * f, dout_MF + row * f, f, col);
    }
  }
}

#define COHORT_SWIGLU_REF(S)                                                     \
  template void swiglu_forward_ref<S>(S*, const S*, int64_t, int64_t); \
  template void swiglu_backward_ref<S>(S*, const S*, const S*, int64_t, int64_t);
COHORT_SWIGLU_REF(bf16)
COHORT_SWIGLU_REF(float)
COHORT_SWIGLU_REF(double)
#undef COHORT_SWIGLU_REF

}  // namespace cohort::kernels
