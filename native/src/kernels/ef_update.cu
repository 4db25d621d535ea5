// ef_update_kernel: ef = fma(beta, ef, delta) per element, bit-identical to ef_update_ref (CPU twin).
// Plain device pointers only: no libtorch here. Shape suffixes: _N = flat element count.
#include "kernels/ef_update.h"

namespace cohort::kernels {
namespace {

constexpr int kThreadsPerBlock = 256;

__global__ void ef_update_kernel(float* __restrict__ ef_N, const float* __restrict__ delta_N, float beta,
                                 int64_t n) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    ef_N[i] = __fmaf_rn(beta, ef_N[i], delta_N[i]);  // one rounding, exactly like std::fma
  }
}

}  // namespace

cudaError_t launch_ef_update(float* ef_N, const float* delta_N, float beta, int64_t n, cudaStream_t stream) {
  if (n == 0) {
    return cudaSuccess;
  }
  // Grid-stride loop: cap the grid, every thread walks the rest.
  constexpr int64_t kMaxBlocks = 65535;
  const int64_t blocks_needed = (n + kThreadsPerBlock - 1) / kThreadsPerBlock;
  const unsigned int blocks = static_cast<unsigned int>(blocks_needed < kMaxBlocks ? blocks_needed : kMaxBlocks);
  ef_update_kernel<<<blocks, kThreadsPerBlock, 0, stream>>>(ef_N, delta_N, beta, n);
  return cudaGetLastError();
}

}  // namespace cohort::kernels
