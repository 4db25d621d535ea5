// Fused RMSNorm kernels (see rms_norm.h): one block per row (grid-stride over rows), up to 8 values per
// thread held in registers, a deterministic block sum; the formulas of rms_norm_math.h shared with the CPU
// twin rms_norm_ref.cc. The backward block keeps its columns' dw sums in registers across its rows and
// writes one partial row. Plain device pointers, no libtorch.
#include "kernels/rms_norm.h"
#include "kernels/rms_norm_math.h"

namespace cohort::kernels {
namespace {

constexpr int kColumnsPerThread = 8;
constexpr int kWarp = 32;
// Blocks of up to 1024 threads (rows of 8,192): the bound caps registers at 64 per thread so such a block
// can launch at all (65,536 registers per block); without it the backward kernel takes 72.
constexpr int kMaxThreads = 1024;

// Threads for a row of d values: ceil(d / 8) rounded up to whole warps (every thread of a warp present).
int threads_for(int64_t d) {
  const int64_t needed = (d + kColumnsPerThread - 1) / kColumnsPerThread;
  return static_cast<int>((needed + kWarp - 1) / kWarp * kWarp);
}

// The block's total of `value`, the same bits in every thread (warp sums, then the warps' sums in order).
__device__ float block_sum(float value, float* warp_sums) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) value += __shfl_xor_sync(0xffffffffU, value, offset);
  if (threadIdx.x % kWarp == 0) warp_sums[threadIdx.x / kWarp] = value;
  __syncthreads();
  float total = 0.0F;
  for (unsigned w = 0; w < blockDim.x / kWarp; ++w) total += warp_sums[w];
  __syncthreads();  // warp_sums is reused by the next row
  return total;
}

template <typename S>
__global__ void __launch_bounds__(kMaxThreads) rms_norm_forward_kernel(S* __restrict__ y_ND, float* __restrict__ rstd_N, const S* __restrict__ x_ND,
                                        const float* __restrict__ w_D, int64_t n, int64_t d, float eps) {
  __shared__ float warp_sums[kWarp];
  for (int64_t row = blockIdx.x; row < n; row += gridDim.x) {
    const S* x = x_ND + row * d;
    float values[kColumnsPerThread];
    float sum_squares = 0.0F;
#pragma unroll
    for (int k = 0; k < kColumnsPerThread; ++k) {
      const int64_t col = threadIdx.x + static_cast<int64_t>(k) * blockDim.x;
      values[k] = col < d ? load(x[col]) : 0.0F;
      sum_squares += values[k] * values[k];
    }
    const float rstd = rms_rstd(block_sum(sum_squares, warp_sums), d, eps);
    if (threadIdx.x == 0) rstd_N[row] = rstd;
#pragma unroll
    for (int k = 0; k < kColumnsPerThread; ++k) {
      const int64_t col = threadIdx.x + static_cast<int64_t>(k) * blockDim.x;
      if (col < d) store(y_ND[row * d + col], rms_forward_value(values[k], rstd, w_D[col]));
    }
  }
}

template <typename S>
__global__ void __launch_bounds__(kMaxThreads) rms_norm_backward_kernel(S* __restrict__ dx_ND, float* __restrict__ dw_partial_PD,
                                         const S* __restrict__ dy_ND, const S* __restrict__ x_ND,
                                         const float* __restrict__ w_D, const float* __restrict__ rstd_N, int64_t n,
                                         int64_t d) {
  __shared__ float warp_sums[kWarp];
  float w[kColumnsPerThread];
  float dw[kColumnsPerThread];
#pragma unroll
  for (int k = 0; k < kColumnsPerThread; ++k) {
    const int64_t col = threadIdx.x + static_cast<int64_t>(k) * blockDim.x;
    w[k] = col < d ? w_D[col] : 0.0F;
    dw[k] = 0.0F;
  }
  for (int64_t row = blockIdx.x; row < n; row += gridDim.x) {
    const S* x = x_ND + row * d;
    const S* dy = dy_ND + row * d;
    const float rstd = rstd_N[row];
    float xs[kColumnsPerThread];
    float dys[kColumnsPerThread];
    float dot = 0.0F;
#pragma unroll
    for (int k = 0; k < kColumnsPerThread; ++k) {
      const int64_t col = threadIdx.x + static_cast<int64_t>(k) * blockDim.x;
      xs[k] = col < d ? load(x[col]) : 0.0F;
      dys[k] = col < d ? load(dy[col]) : 0.0F;
      dot += dys[k] * w[k] * xs[k];
    }
    const float coefficient = rms_backward_coefficient(rstd, block_sum(dot, warp_sums), d);
#pragma unroll
    for (int k = 0; k < kColumnsPerThread; ++k) {
      const int64_t col = threadIdx.x + static_cast<int64_t>(k) * blockDim.x;
      if (col < d) store(dx_ND[row * d + col], rms_dx(xs[k], dys[k] * w[k], rstd, coefficient));
      dw[k] += dys[k] * xs[k] * rstd;
    }
  }
#pragma unroll
  for (int k = 0; k < kColumnsPerThread; ++k) {
    const int64_t col = threadIdx.x + static_cast<int64_t>(k) * blockDim.x;
    if (col < d) dw_partial_PD[blockIdx.x * d + col] = dw[k];
  }
}

bool valid(int64_t n, int64_t d) { return n >= 0 && d >= 1 && d <= kRmsNormMaxColumns; }

}  // namespace

template <typename S>
cudaError_t launch_rms_norm_forward(S* y_ND, float* rstd_N, const S* x_ND, const float* w_D, int64_t n, int64_t d,
                                    float eps, cudaStream_t stream) {
  if (!valid(n, d)) return cudaErrorInvalidValue;
  if (n == 0) return cudaSuccess;
  constexpr int64_t kMaxBlocks = 65535;
  const auto blocks = static_cast<unsigned>(n < kMaxBlocks ? n : kMaxBlocks);
  rms_norm_forward_kernel<S><<<blocks, threads_for(d), 0, stream>>>(y_ND, rstd_N, x_ND, w_D, n, d, eps);
  return cudaGetLastError();
}

template <typename S>
cudaError_t launch_rms_norm_backward(S* dx_ND, float* dw_partial_PD, const S* dy_ND, const S* x_ND, const float* w_D,
                                     const float* rstd_N, int64_t n, int64_t d, cudaStream_t stream) {
  if (!valid(n, d)) return cudaErrorInvalidValue;
  if (n == 0) return cudaSuccess;
  const auto blocks = static_cast<unsigned>(rms_norm_partial_rows(n));
  rms_norm_backward_kernel<S><<<blocks, threads_for(d), 0, stream>>>(dx_ND, dw_partial_PD, dy_ND, x_ND, w_D, rstd_N,
                                                                     n, d);
  return cudaGetLastError();
}

template cudaError_t launch_rms_norm_forward<bf16>(bf16*, float*, const bf16*, const float*, int64_t, int64_t, float,
                                                   cudaStream_t);
template cudaError_t launch_rms_norm_forward<float>(float*, float*, const float*, const float*, int64_t, int64_t,
                                                    float, cudaStream_t);
template cudaError_t launch_rms_norm_backward<bf16>(bf16*, float*, const bf16*, const bf16*, const float*,
                                                    const float*, int64_t, int64_t, cudaStream_t);
template cudaError_t launch_rms_norm_backward<float>(float*, float*, const float*, const float*, const float*,
                                                     const float*, int64_t, int64_t, cudaStream_t);

}  // namespace cohort::kernels
