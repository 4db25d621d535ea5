// add_scaled_kernel: out = fma(alpha, y, x) per element, bit-identical to add_scaled_ref (CPU twin).
// Plain device pointers only: no libtorch here. Shape suffixes: _N = flat element count.
#include "kernels/add_scaled.h"

namespace cohort::kernels {
namespace {

constexpr int kThreadsPerBlock = 256;

__global__ void add_scaled_kernel(float* __restrict__ out_N, const float* __restrict__ x_N,
                                  const float* __restrict__ y_N, float alpha, int64_t n) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    out_N[i] = __fmaf_rn(alpha, y_N[i], x_N[i]);
  }
}

}  // namespace

cudaError_t launch_add_scaled(float* out_N, const float* x_N, const float* y_N, float alpha, int64_t n,
                              cudaStream_t stream) {
  if (n == 0) {
    return cudaSuccess;
  }
  // Grid-stride loop: cap the grid, every thread walks the rest.
  constexpr int64_t kMaxBlocks = 65535;
  const int64_t blocks_needed = (n + kThreadsPerBlock - 1) / kThreadsPerBlock;
  const unsigned int blocks = static_cast<unsigned int>(blocks_needed < kMaxBlocks ? blocks_needed : kMaxBlocks);
  add_scaled_kernel<<<blocks, kThreadsPerBlock, 0, stream>>>(out_N, x_N, y_N, alpha, n);
  return cudaGetLastError();
}

}  // namespace cohort::kernels
