// Fused RMSNorm (HF LlamaRMSNorm: y = x · rsqrt(mean(x²) + eps) · w) over rows of D values. Activations in
// storage type S; the weight, its gradient and the saved per-row rstd in math_t<S> (the fp32 master weight is
// read directly, no bf16 copy). Forward reads x once and writes y; backward reads x, dy and w once and writes
// dx and per-block partial sums of dw. Arithmetic in fp32 (fp64 for double), one rounding per output.
// Shape suffixes: _ND rows × D, _N one value per row, _D one per column, _PD partial rows × D.
#pragma once

#include <cstdint>

#include "kernels/fused_math.h"

#if defined(COHORT_HAVE_CUDA_KERNELS)
#include <cuda_runtime_api.h>
#endif

namespace cohort::kernels {

// CPU twins (S = bf16, float, double). Backward writes dw_D as the full sum over rows.
template <typename S>
void rms_norm_forward_ref(S* y_ND, math_t<S>* rstd_N, const S* x_ND, const math_t<S>* w_D, int64_t n, int64_t d,
                          double eps);
template <typename S>
void rms_norm_backward_ref(S* dx_ND, math_t<S>* dw_D, const S* dy_ND, const S* x_ND, const math_t<S>* w_D,
                           const math_t<S>* rstd_N, int64_t n, int64_t d);

// The widest row the kernels take: 8 values per thread, 1024 threads.
constexpr int64_t kRmsNormMaxColumns = 8 * 1024;

// Rows of the dw partial sums launch_rms_norm_backward writes for n rows (one per block): sum them.
constexpr int64_t rms_norm_partial_rows(int64_t n) { return n < 1024 ? n : 1024; }

#if defined(COHORT_HAVE_CUDA_KERNELS)
// The kernels on `stream` over device pointers (S = bf16, float; fp32 weight and rstd). Return the launch
// error; n == 0 launches nothing; cudaErrorInvalidValue for d outside 1..kRmsNormMaxColumns.
template <typename S>
cudaError_t launch_rms_norm_forward(S* y_ND, float* rstd_N, const S* x_ND, const float* w_D, int64_t n, int64_t d,
                                    float eps, cudaStream_t stream);
// dw_partial_PD: rms_norm_partial_rows(n) × d floats, every one written.
template <typename S>
cudaError_t launch_rms_norm_backward(S* dx_ND, float* dw_partial_PD, const S* dy_ND, const S* x_ND, const float* w_D,
                                     const float* rstd_N, int64_t n, int64_t d, cudaStream_t stream);
#endif

}  // namespace cohort::kernels
