// add_scaled: out = fma(alpha, y, x) per element. One op, two twins that agree bit for bit: the CUDA
// kernel (add_scaled.cu, __fmaf_rn) and the CPU reference (add_scaled_ref.cc, std::fma).
// Shape suffixes: _N = flat element count; pointers hold n elements.
#pragma once

#include <cstdint>

#if defined(COHORT_HAVE_CUDA_KERNELS)
#include <cuda_runtime_api.h>
#endif

namespace cohort::kernels {

// CPU reference: out[i] = fma(alpha, y[i], x[i]) for i < n; out may alias x or y.
void add_scaled_ref(float* out_N, const float* x_N, const float* y_N, float alpha, int64_t n);

#if defined(COHORT_HAVE_CUDA_KERNELS)
// Launches add_scaled_kernel on `stream` over device pointers; returns the launch error (cudaSuccess
// when queued). n == 0 launches nothing.
cudaError_t launch_add_scaled(float* out_N, const float* x_N, const float* y_N, float alpha, int64_t n,
                              cudaStream_t stream);
#endif

}  // namespace cohort::kernels
