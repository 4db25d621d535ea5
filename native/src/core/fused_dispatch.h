// What the fused ops share: a dtype switch onto the kernels' storage types and the CUDA launch check.
#pragma once

#include <ATen/ATen.h>

#include <stdexcept>
#include <string>
#include <type_traits>

#include "kernels/fused_math.h"

#if defined(COHORT_HAVE_CUDA_KERNELS)
#include <cuda_runtime_api.h>
#endif

namespace cohort::detail {

// Calls body(S{}) with S the kernels' storage type for `dtype` (bf16, float, double).
template <typename Body>
void with_storage_type(at::ScalarType dtype, const char* op, Body&& body) {
  switch (dtype) {
    case at::kBFloat16:
      body(kernels::bf16{});
      return;
    case at::kFloat:
      body(float{});
      return;
    case at::kDouble:
      body(double{});
      return;
    default:
      throw std::invalid_argument(std::string(op) + ": expected bf16, fp32 or fp64 activations");
  }
}

template <typename S>
S* data_of(const at::Tensor& t) {
  return reinterpret_cast<S*>(t.data_ptr());
}

#if defined(COHORT_HAVE_CUDA_KERNELS)
// A failed launch is a bug or a dead device, not bad input: surface it as a runtime error naming the op.
inline void check_launch(cudaError_t status, const char* op) {
  if (status != cudaSuccess) {
    throw std::runtime_error(std::string(op) + " kernel launch failed: " + cudaGetErrorString(status));
  }
}
// The CUDA side of run_fused: a generic lambda (S tag) -> cudaError_t launching on the default stream.
#define COHORT_CUDA_LAUNCH(...) __VA_ARGS__
#else
// Builds without the kernels pass no CUDA side: run_fused refuses CUDA tensors.
#define COHORT_CUDA_LAUNCH(...) nullptr
#endif

// Runs op's CPU twin, cpu(S{}), on CPU tensors and its kernel, cuda(S{}), on CUDA tensors, with S the
// kernels' storage type of `like`'s dtype. fp64 has no kernel (fused_ops_supported keeps the model off it).
template <typename Cpu, typename Cuda>
void run_fused(const at::Tensor& like, const char* op, Cpu&& cpu, [[maybe_unused]] Cuda&& cuda) {
  with_storage_type(like.scalar_type(), op, [&](auto tag) {
    if (!like.is_cuda()) {
      cpu(tag);
      return;
    }
#if defined(COHORT_HAVE_CUDA_KERNELS)
    if constexpr (!std::is_same_v<decltype(tag), double> && !std::is_same_v<std::decay_t<Cuda>, std::nullptr_t>) {
      check_launch(cuda(tag), op);
      return;
    }
#endif
    throw std::logic_error(std::string(op) + ": no CUDA kernel for this build and dtype (fused_ops_supported said so)");
  });
}

}  // namespace cohort::detail
