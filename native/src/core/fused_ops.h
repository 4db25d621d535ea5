// Fused model ops: custom autograd functions over the kernels of src/kernels (swiglu, rope_qkv, rms_norm,
// cross_entropy),
// used by LlamaModel when ModelPlacement::fused_ops is on. Each replaces a chain of eager ops (and their
// zero-filled slice gradients) with one pass forward and one backward: on CUDA through the kernel, on the
// CPU through the kernel's twin (same per-element formulas), so the CPU tests check the math the GPU runs.
// Dtypes: bf16 and fp32 on CUDA; bf16, fp32 and fp64 on the CPU. Shape legend as in model.h; X = (H+2K)·E.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <cstdint>

namespace cohort {

// Whether the fused ops run for activations of `compute` dtype on `device`: always on the CPU; on CUDA when
// the kernels were compiled in, the dtype is bf16 or fp32, and the current stream is the default one (the
// kernels launch there). The model falls back to the eager ops when this is false.
bool fused_ops_supported(at::Device device, at::ScalarType compute);

// silu(gate) · up over the fused gate/up GEMM output [..., 2F] (gate first): [..., F].
at::Tensor fused_swiglu(const at::Tensor& gate_up);

// q_BHTE, k_BKTE (rotated) and v_BKTE from the fused QKV GEMM output [B, T, X]: transposed views of
// contiguous [B, T, heads, E] tensors. cos/sin: rope_tables (fp32, at least T rows, on the same device).
std::array<at::Tensor, 3> fused_rope_qkv(const at::Tensor& qkv_BTX, const at::Tensor& cos_TE, const at::Tensor& sin_TE,
                                         int64_t q_heads, int64_t kv_heads, int64_t head_dim);

// x · rsqrt(mean(x²) + eps) · weight over the last dim, in x's dtype; `weight` is the master parameter
// (fp32, or fp64 for fp64 x) and gets its gradient in that dtype.
at::Tensor fused_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

// Per-row next-token losses [N] (lse − logit of the target; 0 where the target is `ignore_index`, NaN where
// it is outside [0, V)) from logits [N, V] in their own dtype, in fp32 (fp64 for fp64 logits). The gradient
// flows back into the logits in their dtype.
at::Tensor fused_cross_entropy(const at::Tensor& logits_NV, const at::Tensor& targets_N, int64_t ignore_index);

}  // namespace cohort
