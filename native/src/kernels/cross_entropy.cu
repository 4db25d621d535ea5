// Fused cross-entropy kernels (see cross_entropy.h): one block per row (grid-stride over rows); forward
// folds each thread's strided logits into a log-sum-exp pair and merges the block's pairs in a fixed order;
// backward writes every logit's gradient. The formulas of cross_entropy_math.h are shared with the CPU twin
// cross_entropy_ref.cc. Plain device pointers, no libtorch.
#include "kernels/cross_entropy.h"
#include "kernels/cross_entropy_math.h"

namespace cohort::kernels {
namespace {

constexpr int kThreads = 512;
constexpr int kWarp = 32;
constexpr int64_t kMaxBlocks = 65535;

using Lse = LseAccumulator<float>;

// The block's merged pair, the same in every thread (warp merges by shuffle, then the warps' pairs in order).
__device__ Lse block_lse(Lse acc, Lse* warp_pairs) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) {
    const Lse other{__shfl_xor_sync(0xffffffffU, acc.max, offset), __shfl_xor_sync(0xffffffffU, acc.sum, offset)};
    acc = lse_merge(acc, other);
  }
  if (threadIdx.x % kWarp == 0) warp_pairs[threadIdx.x / kWarp] = acc;
  __syncthreads();
  Lse total = lse_empty<float>();
  for (int w = 0; w < kThreads / kWarp; ++w) total = lse_merge(total, warp_pairs[w]);
  __syncthreads();  // warp_pairs is reused by the next row
  return total;
}

template <typename S>
__global__ void __launch_bounds__(kThreads) cross_entropy_forward_kernel(float* __restrict__ loss_N, float* __restrict__ lse_N,
                                                                         const S* __restrict__ logits_NV,
                                                                         const int64_t* __restrict__ targets_N, int64_t n,
                                                                         int64_t v, int64_t ignore_index) {
  __shared__ Lse warp_pairs[kThreads / kWarp];
  for (int64_t row = blockIdx.x; row < n; row += gridDim.x) {
    const S* x = logits_NV + row * v;
    Lse acc = lse_empty<float>();
    for (int64_t j = threadIdx.x; j < v; j += kThreads) acc = lse_add(acc, load(x[j]));
    const float lse = lse_value(block_lse(acc, warp_pairs));
    if (threadIdx.x == 0) {
      lse_N[row] = lse;
      loss_N[row] = cross_entropy_loss(x, v, targets_N[row], ignore_index, lse);
    }
  }
}

template <typename S>
__global__ void __launch_bounds__(kThreads) cross_entropy_backward_kernel(S* __restrict__ dlogits_NV, const S* __restrict__ logits_NV,
                                                                          const int64_t* __restrict__ targets_N,
                                                                          const float* __restrict__ lse_N,
                                                                          const float* __restrict__ dloss_N, int64_t n,
                                                                          int64_t v, int64_t ignore_index) {
  for (int64_t row = blockIdx.x; row < n; row += gridDim.x) {
    const int64_t target = targets_N[row];
    const float dloss = target == ignore_index ? 0.0F : dloss_N[row];
    const float lse = lse_N[row];
    for (int64_t j = threadIdx.x; j < v; j += kThreads) {
      store(dlogits_NV[row * v + j], cross_entropy_grad(load(logits_NV[row * v + j]), lse, dloss, j == target));
    }
  }
}

unsigned blocks_for(int64_t n) { return static_cast<unsigned>(n < kMaxBlocks ? n : kMaxBlocks); }

}  // namespace

template <typename S>
cudaError_t launch_cross_entropy_forward(float* loss_N, float* lse_N, const S* logits_NV, const int64_t* targets_N,
                                         int64_t n, int64_t v, int64_t ignore_index, cudaStream_t stream) {
  if (v < 1 || n < 0) return cudaErrorInvalidValue;
  if (n == 0) return cudaSuccess;
  cross_entropy_forward_kernel<S><<<blocks_for(n), kThreads, 0, stream>>>(loss_N, lse_N, logits_NV, targets_N, n, v,
                                                                          ignore_index);
  return cudaGetLastError();
}

template <typename S>
cudaError_t launch_cross_entropy_backward(S* dlogits_NV, const S* logits_NV, const int64_t* targets_N,
                                          const float* lse_N, const float* dloss_N, int64_t n, int64_t v,
                                          int64_t ignore_index, cudaStream_t stream) {
  if (v < 1 || n < 0) return cudaErrorInvalidValue;
  if (n == 0) return cudaSuccess;
  cross_entropy_backward_kernel<S><<<blocks_for(n), kThreads, 0, stream>>>(dlogits_NV, logits_NV, targets_N, lse_N,
                                                                           dloss_N, n, v, ignore_index);
  return cudaGetLastError();
}

#define COHORT_CROSS_ENTROPY_LAUNCH(S)                                                                            \
  template cudaError_t launch_cross_entropy_forward<S>(float*, float*, const S*, const int64_t*, int64_t, int64_t, \
                                                       int64_t, cudaStream_t);                                   \
  template cudaError_t launch_cross_entropy_backward<S>(S*, const S*, const int64_t*, const float*, const float*, \
                                                        int64_t, int64_t, int64_t, cudaStream_t);
COHORT_CROSS_ENTROPY_LAUNCH(bf16)
COHORT_CROSS_ENTROPY_LAUNCH(float)
#undef COHORT_CROSS_ENTROPY_LAUNCH

}  // namespace cohort::kernels
