// Fused cross-entropy over rows of V logits in the head GEMM's own dtype (bf16 on a GPU): per-row losses and
// log-sum-exps in fp32 (fp64 for double), and the backward pass writes d(logits) in the logits' dtype. No fp32
// copy of the logits, no log-softmax tensor, no one-hot gradient: one read forward, one read and one write
// backward, against about a dozen passes over an fp32 [N, V] tensor eagerly.
// A row whose target is `ignore_index` has loss 0 and gradient 0. Targets must be in [0, V) otherwise.
// Shape suffixes: _NV rows × vocab, _N one value per row.
#pragma once

#include <cstdint>

#include "kernels/fused_math.h"

#if defined(COHORT_HAVE_CUDA_KERNELS)
#include <cuda_runtime_api.h>
#endif

namespace cohort::kernels {

// CPU twins (S = bf16, float, double).
template <typename S>
void cross_entropy_forward_ref(math_t<S>* loss_N, math_t<S>* lse_N, const S* logits_NV, const int64_t* targets_N,
                               int64_t n, int64_t v, int64_t ignore_index);
template <typename S>
void cross_entropy_backward_ref(S* dlogits_NV, const S* logits_NV, const int64_t* targets_N, const math_t<S>* lse_N,
                                const math_t<S>* dloss_N, int64_t n, int64_t v, int64_t ignore_index);

#if defined(COHORT_HAVE_CUDA_KERNELS)
// The kernels on `stream` over device pointers (S = bf16, float). Return the launch error; n == 0 launches
// nothing; cudaErrorInvalidValue for v < 1.
template <typename S>
cudaError_t launch_cross_entropy_forward(float* loss_N, float* lse_N, const S* logits_NV, const int64_t* targets_N,
                                         int64_t n, int64_t v, int64_t ignore_index, cudaStream_t stream);
template <typename S>
cudaError_t launch_cross_entropy_backward(S* dlogits_NV, const S* logits_NV, const int64_t* targets_N,
                                          const float* lse_N, const float* dloss_N, int64_t n, int64_t v,
                                          int64_t ignore_index, cudaStream_t stream);
#endif

}  // namespace cohort::kernels
