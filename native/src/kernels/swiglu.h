// Fused SwiGLU over the fused gate/up GEMM's output: out[m, :] = silu(gate) · up, where row m of gate_up_M2F
// holds F gate values then F up values. The backward pass writes d(gate_up) in that same [M, 2F] layout, so
// the GEMM's gradient needs no slicing, zero-filling or concatenation, and only the GEMM's output is saved.
// Arithmetic in fp32 (fp64 for double storage) with one rounding per output: in bf16 that is one rounding
// fewer than eager silu-then-multiply. Shape suffixes: _MF, _M2F = rows × columns, row-major, contiguous.
#pragma once

#include <cstdint>

#include "kernels/fused_math.h"

#if defined(COHORT_HAVE_CUDA_KERNELS)
#include <cuda_runtime_api.h>
#endif

namespace cohort::kernels {

// CPU twins (S = bf16, float, double).
template <typename S>
void swiglu_forward_ref(S* out_MF, const S* gate_up_M2F, int64_t m, int64_t f);
template <typename S>
void swiglu_backward_ref(S* dgate_up_M2F, const S* gate_up_M2F, const S* dout_MF, int64_t m, int64_t f);

#if defined(COHORT_HAVE_CUDA_KERNELS)
// The kernels on `stream` over device pointers (S = bf16, float). Return the launch error; m or f == 0
// launches nothing; f must be below 2^31.
template <typename S>
cudaError_t launch_swiglu_forward(S* out_MF, const S* gate_up_M2F, int64_t m, int64_t f, cudaStream_t stream);
template <typename S>
cudaError_t launch_swiglu_backward(S* dgate_up_M2F, const S* gate_up_M2F, const S* dout_MF, int64_t m, int64_t f,
                                   cudaStream_t stream);
#endif

}  // namespace cohort::kernels
