// Fused SwiGLU kernels (see swiglu.h): one thread per output column of a row, the formulas of
// swiglu_math.h shared with the CPU twin swiglu_ref.cc. Plain device pointers, no libtorch.
#include "kernels/launch_geometry.h"
#include "kernels/swiglu.h"
#include "kernels/swiglu_math.h"

namespace cohort::kernels {
namespace {

template <typename S>
__global__ void swiglu_forward_kernel(S* __restrict__ out_MF, const S* __restrict__ gate_up_M2F, int64_t m,
                                      int64_t f) {
  for (int64_t row = blockIdx.y; row < m; row += gridDim.y) {
    for (int64_t col = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; col < f;
         col += static_cast<int64_t>(gridDim.x) * blockDim.x) {
      swiglu_forward_at(out_MF + row * f, gate_up_M2F + row * 2 * f, f, col);
    }
  }
}

template <typename S>
__global__ void swiglu_backward_kernel(S* __restrict__ dgate_up_M2F, const S* __restrict__ gate_up_M2F,
                                       const S* __restrict__ dout_MF, int64_t m, int64_t f) {
  for (int64_t row = blockIdx.y; row < m; row += gridDim.y) {
    for (int64_t col = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; col < f;
         col += static_cast<int64_t>(gridDim.x) * blockDim.x) {
      swiglu_backward_at(dgate_up_M2F + row * 2 * f, gate_up_M2F + row * 2 * f, dout_MF + row * f, f, col);
    }
  }
}

}  // namespace

template <typename S>
cudaError_t launch_swiglu_forward(S* out_MF, const S* gate_up_M2F, int64_t m, int64_t f, cudaStream_t stream) {
  if (m == 0 || f == 0) return cudaSuccess;
  if (m < 0 || f < 0 || f >= (int64_t{1} << 31)) return cudaErrorInvalidValue;
  swiglu_forward_kernel<S><<<geometry::rows_by_columns(m, f), geometry::kThreads, 0, stream>>>(out_MF, gate_up_M2F, m, f);
  return cudaGetLastError();
}

template <typename S>
cudaError_t launch_swiglu_backward(S* dgate_up_M2F, const S* gate_up_M2F, const S* dout_MF, int64_t m, int64_t f,
                                   cudaStream_t stream) {
  if (m == 0 || f == 0) return cudaSuccess;
  if (m < 0 || f < 0 || f >= (int64_t{1} << 31)) return cudaErrorInvalidValue;
  swiglu_backward_kernel<S><<<geometry::rows_by_columns(m, f), geometry::kThreads, 0, stream>>>(
      dgate_up_M2F, gate_up_M2F, dout_MF, m, f);
  return cudaGetLastError();
}

template cudaError_t launch_swiglu_forward<bf16>(bf16*, const bf16*, int64_t, int64_t, cudaStream_t);
template cudaError_t launch_swiglu_forward<float>(float*, const float*, int64_t, int64_t, cudaStream_t);
template cudaError_t launch_swiglu_backward<bf16>(bf16*, const bf16*, const bf16*, int64_t, int64_t, cudaStream_t);
template cudaError_t launch_swiglu_backward<float>(float*, const float*, const float*, int64_t, int64_t, cudaStream_t);

}  // namespace cohort::kernels
