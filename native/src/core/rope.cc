// Rotary position embeddings (see rope.h). Shape legend: B batch, T sequence, H heads, E head dim.
#include "core/rope.h"

namespace cohort {

std::pair<at::Tensor, at::Tensor> rope_tables(int64_t max_seq_len, int64_t head_dim, double theta, at::Device device) {
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  // inv_freq[i] = theta^(-2i/E), computed in double then rounded once, as transformers does in fp32.
  const at::Tensor inv_freq = at::pow(theta, -at::arange(0, head_dim, 2, f64) / static_cast<double>(head_dim));
  const at::Tensor t_T = at::arange(max_seq_len, f64);
  const at::Tensor freqs_TE2 = at::outer(t_T, inv_freq);
  const at::Tensor emb_TE = at::cat({freqs_TE2, freqs_TE2}, -1);
  return {emb_TE.cos().to(at::kFloat).to(device), emb_TE.sin().to(at::kFloat).to(device)};
}

at::Tensor apply_rope(const at::Tensor& x_BHTE, const at::Tensor& cos_TE, const at::Tensor& sin_TE) {
  const int64_t T = x_BHTE.size(2);
  const int64_t half = x_BHTE.size(3) / 2;
  const at::Tensor cos = cos_TE.narrow(0, 0, T).to(x_BHTE.scalar_type());
  const at::Tensor sin = sin_TE.narrow(0, 0, T).to(x_BHTE.scalar_type());
  const at::Tensor x1 = x_BHTE.narrow(-1, 0, half);
  const at::Tensor x2 = x_BHTE.narrow(-1, half, half);
  const at::Tensor rotated = at::cat({-x2, x1}, -1);
  return x_BHTE * cos + rotated * sin;
}

}  // namespace cohort
