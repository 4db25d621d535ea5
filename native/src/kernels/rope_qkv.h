// Fused QKV split + rotary embeddings: from the fused QKV GEMM's output qkv_NX (N = B·T tokens, X = (H+2K)·E),
// write q_NHE and k_NKE rotated (HF LLaMA's rotate_half convention) and v_NKE copied, each contiguous in
// [B, T, heads, E] order (what flash attention reads through a transposed view). The backward pass writes
// d(qkv) in the GEMM's layout in one pass: no narrow/cat/neg chain and no zero-filled slice gradients.
// Arithmetic in fp32 (fp64 for double storage), one rounding per output; in fp32 the results equal the
// eager x·cos + rotate_half(x)·sin bit for bit (the twin is compiled without FMA contraction).
#pragma once

#include <cstdint>

#include "kernels/fused_math.h"
#include "kernels/rope_qkv_math.h"

#if defined(COHORT_HAVE_CUDA_KERNELS)
#include <cuda_runtime_api.h>
#endif

namespace cohort::kernels {

// CPU twins (S = bf16, float, double). cos_TE/sin_TE: fp32 tables with at least shape.seq_len rows.
template <typename S>
void rope_qkv_forward_ref(S* q_NHE, S* k_NKE, S* v_NKE, const S* qkv_NX, const float* cos_TE, const float* sin_TE,
                          const QkvShape& shape, int64_t n);
template <typename S>
void rope_qkv_backward_ref(S* dqkv_NX, const S* dq_NHE, const S* dk_NKE, const S* dv_NKE, const float* cos_TE,
                           const float* sin_TE, const QkvShape& shape, int64_t n);

#if defined(COHORT_HAVE_CUDA_KERNELS)
// The kernels on `stream` over device pointers (S = bf16, float). Return the launch error; n == 0 launches
// nothing; cudaErrorInvalidValue for an odd or non-positive head_dim, seq_len < 1 or a row of 2^31 pairs.
template <typename S>
cudaError_t launch_rope_qkv_forward(S* q_NHE, S* k_NKE, S* v_NKE, const S* qkv_NX, const float* cos_TE,
                                    const float* sin_TE, const QkvShape& shape, int64_t n, cudaStream_t stream);
template <typename S>
cudaError_t launch_rope_qkv_backward(S* dqkv_NX, const S* dq_NHE, const S* dk_NKE, const S* dv_NKE,
                                     const float* cos_TE, const float* sin_TE, const QkvShape& shape, int64_t n,
                                     cudaStream_t stream);
#endif

}  // namespace cohort::kernels
