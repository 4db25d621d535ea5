// Causal grouped-query attention: libtorch 2.x's fused scaled_dot_product_attention where available (flash /
// memory-efficient kernels on CUDA), an explicit softmax(QKᵀ/√E + causal mask)V otherwise (libtorch 1.13).
// Shape legend: B batch, T sequence, H query heads, K kv heads, E head dim.
#pragma once

#include <ATen/ATen.h>

namespace cohort {

// q_BHTE with k_BKTE, v_BKTE (K divides H); returns [B, H, T, E] in q's dtype; softmax in fp32.
at::Tensor causal_attention(const at::Tensor& q_BHTE, const at::Tensor& k_BKTE, const at::Tensor& v_BKTE);

}  // namespace cohort
