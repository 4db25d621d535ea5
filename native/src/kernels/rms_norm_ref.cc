// CPU twin of rms_norm.cu: the same formulas (rms_norm_math.h), sums in index order.
#include "kernels/rms_norm.h"

#include "kernels/rms_norm_math.h"

namespace cohort::kernels {

template <typename S>
void rms_norm_forward_ref(S* y_ND, math_t<S>* rstd_N, const S* x_ND, const math_t<S>* w_D, int64_t n, int64_t d,
                          double eps) {
  using A = math_t<S>;
  for (int64_t row = 0; row < n; ++row) {
    const S* x = x_ND + row * d;
    A sum_squares = 0;
    for (int64_t col = 0; col < d; ++col) {
      const A v = load(x[col]);
      sum_squares += v * v;
    }
    const A rstd = rms_rstd(sum_squares, d, static_cast<A>(eps));
    rstd_N[row] = rstd;
    for (int64_t col = 0; col < d; ++col) store(y_ND[row * d + col], rms_forward_value(load(x[col]), rstd, w_D[col]));
  }
}

template <typename S>
void rms_norm_backward_ref(S* dx_ND, math_t<S>* dw_D, const S* dy_ND, const S* x_ND, const math_t<S>* w_D,
                           const math_t<S>* rstd_N, int64_t n, int64_t d) {
  using A = math_t<S>;
  for (int64_t col = 0; col < d; ++col) dw_D[col] = 0;
  for (int64_t row = 0; row < n; ++row) {
    const S* x = x_ND + row * d;
    const S* dy = dy_ND + row * d;
    const A rstd = rstd_N[row];
    A dot = 0;
    for (int64_t col = 0; col < d; ++col) dot += load(dy[col]) * w_D[col] * load(x[col]);
    const A coefficient = rms_backward_coefficient(rstd, dot, d);
    for (int64_t col = 0; col < d; ++col) {
      const A xv = load(x[col]);
      const A dyv = load(dy[col]);
      store(dx_ND[row * d + col], rms_dx(xv, dyv * w_D[col], rstd, coefficient));
      dw_D[col] += dyv * xv * rstd;
    }
  }
}

#define COHORT_RMS_NORM_REF(S)                                                                                  \
  template void rms_norm_forward_ref<S>(S*, math_t<S>*, const S*, const math_t<S>*, int64_t, int64_t, double); \
  template void rms_norm_backward_ref<S>(S*, math_t<S>*, const S*, const S*, const math_t<S>*, const math_t<S>*, \
                                         int64_t, int64_t);
COHORT_RMS_NORM_REF(bf16)
COHORT_RMS_NORM_REF(float)
COHORT_RMS_NORM_REF(double)
#undef COHORT_RMS_NORM_REF

}  // namespace cohort::kernels
