// ef_update: the error-feedback decay e = fma(β, e, Δ) per element (protocol §3), in place. Two twins that
// agree bit for bit: the CUDA kernel (ef_update.cu, __fmaf_rn) and the CPU reference (ef_update_ref.cc,
// std::fma), both one rounding like the codec's encode_with_feedback.
// Shape suffixes: _N = flat element count; pointers hold n elements.
#pragma once

#include <cstdint>

#if defined(COHORT_HAVE_CUDA_KERNELS)
#include <cuda_runtime_api.h>
#endif

namespace cohort::kernels {

// CPU reference: ef[i] = fma(beta, ef[i], delta[i]) for i < n.
void ef_update_ref(float* ef_N, const float* delta_N, float beta, int64_t n);

#if defined(COHORT_HAVE_CUDA_KERNELS)
// Launches ef_update_kernel on `stream` over device pointers; returns the launch error (cudaSuccess when
// queued). n == 0 launches nothing. Finiteness is the caller's check (the codec rejects non-finite e).
cudaError_t launch_ef_update(float* ef_N, const float* delta_N, float beta, int64_t n, cudaStream_t stream);
#endif

}  // namespace cohort::kernels
