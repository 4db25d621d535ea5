// Tensor ops of the engine. Shape suffixes: _N = flat element count (1-D tensor of N elements).
#pragma once

#include <ATen/core/Tensor.h>

namespace cohort {

// x + alpha * y, elementwise, as one fused multiply-add per element (alpha rounded to float32), so the
// result is bit-identical to the CPU reference and the CUDA kernel. x_N and y_N: 1-D float32 CPU tensors
// of the same length. Throws InvalidArgumentError on a dtype, shape, device or length mismatch, or when
// alpha is not finite as a float32.
at::Tensor add_scaled(const at::Tensor& x_N, const at::Tensor& y_N, double alpha);

// add_scaled into caller-owned memory (e.g. a JS Float32Array wrapped with at::from_blob): out_N must be
// a contiguous 1-D float32 CPU tensor of the inputs' length; it may alias an input.
void add_scaled_out(at::Tensor& out_N, const at::Tensor& x_N, const at::Tensor& y_N, double alpha);

}  // namespace cohort
