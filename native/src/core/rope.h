// Rotary position embeddings in Hugging Face LLaMA's convention (rotate_half over the two halves of each
// head, frequencies repeated), so checkpoints load in transformers without permuting q/k weights.
// Shape legend: B batch, T sequence, H heads, E head dim.
#pragma once

#include <ATen/ATen.h>

#include <utility>

namespace cohort {

// cos and sin tables [max_seq_len, E] in fp32 for base `theta`.
std::pair<at::Tensor, at::Tensor> rope_tables(int64_t max_seq_len, int64_t head_dim, double theta, at::Device device);

// x_BHTE · cos + rotate_half(x_BHTE) · sin, for the first T positions of the tables.
at::Tensor apply_rope(const at::Tensor& x_BHTE, const at::Tensor& cos_TE, const at::Tensor& sin_TE);

}  // namespace cohort
