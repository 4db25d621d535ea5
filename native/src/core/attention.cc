// Causal grouped-query attention (see attention.h). Shape legend: B batch, T sequence, H query heads,
// K kv heads, G = H/K query heads per kv head, E head dim.
#include "core/attention.h"
#include "core/precision.h"

#include <torch/version.h>

#include <cmath>
#include <limits>

namespace cohort {
namespace {

// Repeat each kv head G times so K heads line up with H query heads.
at::Tensor repeat_kv(const at::Tensor& x_BKTE, int64_t groups) {
  if (groups == 1) return x_BKTE;
  const auto B = x_BKTE.size(0), K = x_BKTE.size(1), T = x_BKTE.size(2), E = x_BKTE.size(3);
  return x_BKTE.unsqueeze(2).expand({B, K, groups, T, E}).reshape({B, K * groups, T, E});
}

}  // namespace

at::Tensor causal_attention(const at::Tensor& q_BHTE, const at::Tensor& k_BKTE, const at::Tensor& v_BKTE) {
  const int64_t groups = q_BHTE.size(1) / k_BKTE.size(1);
  const at::Tensor k_BHTE = repeat_kv(k_BKTE, groups);
  const at::Tensor v_BHTE = repeat_kv(v_BKTE, groups);
#if TORCH_VERSION_MAJOR >= 2
  return at::scaled_dot_product_attention(q_BHTE, k_BHTE, v_BHTE, {}, 0.0, /*is_causal=*/true);
#else
  const int64_t T = q_BHTE.size(2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q_BHTE.size(3)));
  at::Tensor scores_BHTT = at::matmul(q_BHTE, k_BHTE.transpose(-2, -1)).to(accumulate_dtype(q_BHTE.scalar_type())) * scale;
  const at::Tensor future_TT = at::ones({T, T}, q_BHTE.options().dtype(at::kBool)).triu(1);
  scores_BHTT = scores_BHTT.masked_fill(future_TT, -std::numeric_limits<double>::infinity());
  const at::Tensor probs_BHTT = at::softmax(scores_BHTT, -1).to(q_BHTE.scalar_type());
  return at::matmul(probs_BHTT, v_BHTE);
#endif
}

}  // namespace cohort
