// Fused SwiGLU kernels (see swiglu.h): the formulas of swiglu_math.h shared with the CPU twin
// swiglu_ref.cc. Where F is a multiple of a 16-byte pack (8 bf16, 4 float) and the buffers are 16-byte
// aligned (every LLaMA width, torch's allocations), one thread moves a pack of each operand with 16-byte
// loads and stores, applying the same per-element formula to each element of the pack; otherwise one
// thread per output column. Plain device pointers, no libtorch.
#include <cstdint>

#include "kernels/launch_geometry.h"
#include "kernels/swiglu.h"
#include "kernels/swiglu_math.h"

namespace cohort::kernels {
namespace {

// Calls body(row, col) for every row and every V-th column this thread owns: rows on grid y, groups of V
// columns on grid x, both grid-stride.
template <int V, typename Body>
__device__ __forceinline__ void for_each_group(int64_t m, int64_t f, Body&& body) {
  const int64_t groups = f / V;
  for (int64_t row = blockIdx.y; row < m; row += gridDim.y) {
    for (int64_t g = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; g < groups;
         g += static_cast<int64_t>(gridDim.x) * blockDim.x) {
      body(row, g * V);
    }
  }
}

template <typename S>
__global__ void swiglu_forward_kernel(S* __restrict__ out_MF, const S* __restrict__ gate_up_M2F, int64_t m,
                                      int64_t f) {
  for_each_group<1>(m, f, [&](int64_t row, int64_t col) {
    swiglu_forward_at(out_MF + row * f, gate_up_M2F + row * 2 * f, f, col);
  });
}

template <typename S>
__global__ void swiglu_backward_kernel(S* __restrict__ dgate_up_M2F, const S* __restrict__ gate_up_M2F,
                                       const S* __restrict__ dout_MF, int64_t m, int64_t f) {
  for_each_group<1>(m, f, [&](int64_t row, int64_t col) {
    swiglu_backward_at(dgate_up_M2F + row * 2 * f, gate_up_M2F + row * 2 * f, dout_MF + row * f, f, col);
  });
}

// kPack<S> consecutive elements, moved as one 16-byte access; Packs<S, n> holds n of them back to back, so
// the per-element formulas can index it as a row of n · kPack<S> values.
template <typename S>
constexpr int kPack = 16 / static_cast<int>(sizeof(S));
template <typename S, int n>
struct alignas(16) Packs {
  S v[n * kPack<S>];
};
template <typename S>
using Pack = Packs<S, 1>;

// One 16-byte move (both pointers 16-byte aligned): a load when `from` is global memory, a store when `to` is.
template <typename S>
__device__ __forceinline__ void copy_pack(S* to, const S* from) {
  *reinterpret_cast<Pack<S>*>(to) = *reinterpret_cast<const Pack<S>*>(from);
}

template <typename S>
__global__ void swiglu_forward_pack_kernel(S* __restrict__ out_MF, const S* __restrict__ gate_up_M2F, int64_t m,
                                           int64_t f) {
  constexpr int V = kPack<S>;
  for_each_group<V>(m, f, [&](int64_t row, int64_t col) {
    Packs<S, 2> gate_up;  // a row of width V: V gate values, then V up values
    copy_pack(gate_up.v, gate_up_M2F + row * 2 * f + col);
    copy_pack(gate_up.v + V, gate_up_M2F + row * 2 * f + f + col);
    Pack<S> out;
#pragma unroll
    for (int j = 0; j < V; ++j) {
      swiglu_forward_at(out.v, gate_up.v, V, j);
    }
    copy_pack(out_MF + row * f + col, out.v);
  });
}

template <typename S>
__global__ void swiglu_backward_pack_kernel(S* __restrict__ dgate_up_M2F, const S* __restrict__ gate_up_M2F,
                                            const S* __restrict__ dout_MF, int64_t m, int64_t f) {
  constexpr int V = kPack<S>;
  for_each_group<V>(m, f, [&](int64_t row, int64_t col) {
    Packs<S, 2> gate_up;
    copy_pack(gate_up.v, gate_up_M2F + row * 2 * f + col);
    copy_pack(gate_up.v + V, gate_up_M2F + row * 2 * f + f + col);
    Pack<S> dout;
    copy_pack(dout.v, dout_MF + row * f + col);
    Packs<S, 2> dgate_up;
#pragma unroll
    for (int j = 0; j < V; ++j) {
      swiglu_backward_at(dgate_up.v, gate_up.v, dout.v, V, j);
    }
    copy_pack(dgate_up_M2F + row * 2 * f + col, dgate_up.v);
    copy_pack(dgate_up_M2F + row * 2 * f + f + col, dgate_up.v + V);
  });
}

bool aligned16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }

// The pack kernels apply: whole packs per row and 16-byte aligned rows.
template <typename S>
bool packs_fit(int64_t f, const void* a, const void* b, const void* c = nullptr) {
  return f % kPack<S> == 0 && aligned16(a) && aligned16(b) && (c == nullptr || aligned16(c));
}

}  // namespace

template <typename S>
cudaError_t launch_swiglu_forward(S* out_MF, const S* gate_up_M2F, int64_t m, int64_t f, cudaStream_t stream) {
  if (m == 0 || f == 0) return cudaSuccess;
  if (m < 0 || f < 0 || f >= (int64_t{1} << 31)) return cudaErrorInvalidValue;
  if (packs_fit<S>(f, out_MF, gate_up_M2F)) {
    swiglu_forward_pack_kernel<S><<<geometry::rows_by_columns(m, f / kPack<S>), geometry::kThreads, 0, stream>>>(
        out_MF, gate_up_M2F, m, f);
  } else {
    swiglu_forward_kernel<S><<<geometry::rows_by_columns(m, f), geometry::kThreads, 0, stream>>>(out_MF, gate_up_M2F,
                                                                                               m, f);
  }
  return cudaGetLastError();
}

template <typename S>
cudaError_t launch_swiglu_backward(S* dgate_up_M2F, const S* gate_up_M2F, const S* dout_MF, int64_t m, int64_t f,
                                   cudaStream_t stream) {
  if (m == 0 || f == 0) return cudaSuccess;
  if (m < 0 || f < 0 || f >= (int64_t{1} << 31)) return cudaErrorInvalidValue;
  if (packs_fit<S>(f, dgate_up_M2F, gate_up_M2F, dout_MF)) {
    swiglu_backward_pack_kernel<S><<<geometry::rows_by_columns(m, f / kPack<S>), geometry::kThreads, 0, stream>>>(
        dgate_up_M2F, gate_up_M2F, dout_MF, m, f);
  } else {
    swiglu_backward_kernel<S><<<geometry::rows_by_columns(m, f), geometry::kThreads, 0, stream>>>(
        dgate_up_M2F, gate_up_M2F, dout_MF, m, f);
  }
  return cudaGetLastError();
}

template cudaError_t launch_swiglu_forward<bf16>(bf16*, const bf16*, int64_t, int64_t, cudaStream_t);
template cudaError_t launch_swiglu_forward<float>(float*, const float*, int64_t, int64_t, cudaStream_t);
template cudaError_t launch_swiglu_backward<bf16>(bf16*, const bf16*, const bf16*, int64_t, int64_t, cudaStream_t);
template cudaError_t launch_swiglu_backward<float>(float*, const float*, const float*, int64_t, int64_t, cudaStream_t);

}  // namespace cohort::kernels
