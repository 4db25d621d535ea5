// What the fused ops share: a dtype switch onto the kernels' storage types and the CUDA launch check.
#pragma once

#include <ATen/ATen.h>

#include <stdexcept>
#include <string>

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
#endif

[[noreturn]] inline void no_cuda_kernels(const char* op) {
  throw std::logic_error(std::string(op) + ": this build has no CUDA kernels (fused_ops_supported said so)");
}

}  // namespace cohort::detail
