// Fused QKV split + RoPE kernels (see rope_qkv.h): one thread per (token, head, pair), tokens on grid y;
// a token's position is taken once per row and a pair's head and offset with 32-bit arithmetic (a row has
// fewer than 2^31 pairs). The formulas of rope_qkv_math.h are shared with the CPU twin rope_qkv_ref.cc.
// Plain device pointers, no libtorch.
#include "kernels/launch_geometry.h"
#include "kernels/rope_qkv.h"

namespace cohort::kernels {
namespace {

// Calls pair(row, t, j, i) for every (token, head, pair) this thread owns: tokens on grid y, pairs on grid x.
template <typename Pair>
__device__ __forceinline__ void for_each_pair(const QkvShape& shape, int64_t n, Pair&& pair) {
  const auto pairs = static_cast<uint32_t>(shape.pairs_per_row());
  const auto half = static_cast<uint32_t>(shape.head_dim / 2);
  for (int64_t row = blockIdx.y; row < n; row += gridDim.y) {
    const int64_t t = row % shape.seq_len;
    for (uint32_t p = blockIdx.x * blockDim.x + threadIdx.x; p < pairs; p += gridDim.x * blockDim.x) {
      const uint32_t j = p / half;
      pair(row, t, j, p - j * half);
    }
  }
}

template <typename S>
__global__ void rope_qkv_forward_kernel(S* __restrict__ q_NHE, S* __restrict__ k_NKE, S* __restrict__ v_NKE,
                                        const S* __restrict__ qkv_NX, const float* __restrict__ cos_TE,
                                        const float* __restrict__ sin_TE, QkvShape shape, int64_t n) {
  for_each_pair(shape, n, [&](int64_t row, int64_t t, uint32_t j, uint32_t i) {
    rope_qkv_forward_at(q_NHE, k_NKE, v_NKE, qkv_NX, cos_TE, sin_TE, shape, row, t, j, i);
  });
}

template <typename S>
__global__ void rope_qkv_backward_kernel(S* __restrict__ dqkv_NX, const S* __restrict__ dq_NHE,
                                         const S* __restrict__ dk_NKE, const S* __restrict__ dv_NKE,
                                         const float* __restrict__ cos_TE, const float* __restrict__ sin_TE,
                                         QkvShape shape, int64_t n) {
  for_each_pair(shape, n, [&](int64_t row, int64_t t, uint32_t j, uint32_t i) {
    rope_qkv_backward_at(dqkv_NX, dq_NHE, dk_NKE, dv_NKE, cos_TE, sin_TE, shape, row, t, j, i);
  });
}

bool valid(const QkvShape& shape) {
  return shape.head_dim > 0 && shape.head_dim % 2 == 0 && shape.q_heads > 0 && shape.kv_heads > 0 &&
         shape.seq_len > 0 && shape.pairs_per_row() < (int64_t{1} << 31);
}

}  // namespace

template <typename S>
cudaError_t launch_rope_qkv_forward(S* q_NHE, S* k_NKE, S* v_NKE, const S* qkv_NX, const float* cos_TE,
                                    const float* sin_TE, const QkvShape& shape, int64_t n, cudaStream_t stream) {
  if (!valid(shape) || n < 0) return cudaErrorInvalidValue;
  if (n == 0) return cudaSuccess;
  rope_qkv_forward_kernel<S><<<geometry::rows_by_columns(n, shape.pairs_per_row()), geometry::kThreads, 0, stream>>>(
      q_NHE, k_NKE, v_NKE, qkv_NX, cos_TE, sin_TE, shape, n);
  return cudaGetLastError();
}

template <typename S>
cudaError_t launch_rope_qkv_backward(S* dqkv_NX, const S* dq_NHE, const S* dk_NKE, const S* dv_NKE,
                                     const float* cos_TE, const float* sin_TE, const QkvShape& shape, int64_t n,
                                     cudaStream_t stream) {
  if (!valid(shape) || n < 0) return cudaErrorInvalidValue;
  if (n == 0) return cudaSuccess;
  rope_qkv_backward_kernel<S><<<geometry::rows_by_columns(n, shape.pairs_per_row()), geometry::kThreads, 0, stream>>>(
      dqkv_NX, dq_NHE, dk_NKE, dv_NKE, cos_TE, sin_TE, shape, n);
  return cudaGetLastError();
}

#define COHORT_ROPE_QKV_LAUNCH(S)                                                                         \
  template cudaError_t launch_rope_qkv_forward<S>(S*, S*, S*, const S*, const float*, const float*,      \
                                                  const QkvShape&, int64_t, cudaStream_t);              \
  template cudaError_t launch_rope_qkv_backward<S>(S*, const S*, const S*, const S*, const float*,       \
                                                   const float*, const QkvShape&, int64_t, cudaStream_t);
COHORT_ROPE_QKV_LAUNCH(bf16)
COHORT_ROPE_QKV_LAUNCH(float)
#undef COHORT_ROPE_QKV_LAUNCH

}  // namespace cohort::kernels
