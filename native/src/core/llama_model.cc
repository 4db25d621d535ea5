// The LLaMA forward pass and parameter handling (see include/cohort/model.h).
// Shape legend: B batch, T sequence, D model dim, H query heads, K kv heads, E head dim, F ffn dim, V vocab.
#include <sstream>

#include <c10/core/GradMode.h>

#include "cohort/errors.h"
#include "cohort/model.h"
#include "core/attention.h"
#include "core/fused_ops.h"
#include "core/llama_init.h"
#include "core/precision.h"
#include "core/rope.h"

namespace cohort {
namespace {

// Index of each per-layer parameter within its block of parameter_specs().
enum LayerParam : size_t { kInputNorm, kQ, kK, kV, kO, kPostNorm, kGate, kUp, kDown, kPerLayer };

// RMSNorm as HF LlamaRMSNorm defines it (x · rsqrt(mean(x²) + eps) · weight), with the mean of squares
// accumulated in fp32 straight from x's own dtype: no fp32 copy of the activations is materialised (in bf16
// that copy and its gradient were the largest memory-bound cost of a step). Only the per-row scale is
// rounded to the compute dtype, so bf16 results differ from HF's by at most that one rounding.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps, at::ScalarType compute) {
  const double width = static_cast<double>(x.size(-1));
  const at::Tensor norm = at::linalg_vector_norm(x, 2, {-1}, /*keepdim=*/true, accumulate_dtype(compute));
  const at::Tensor inv = at::rsqrt(norm.pow(2) / width + eps);
  return x * inv.to(x.scalar_type()) * weight.to(compute);
}

}  // namespace

LlamaModel::LlamaModel(const ModelConfig& config, uint64_t seed, const ModelPlacement& placement)
    : config_(config),
      placement_(placement),
      specs_(parameter_specs(config)),
      fused_(placement.fused_ops && fused_ops_supported(placement.device, placement.compute_dtype)) {
  params_ = init_parameters(config_, specs_, seed);
  for (auto& p : params_) {
    p = p.to(placement_.device, placement_.master_dtype).detach();
    p.set_requires_grad(true);
  }
  std::tie(rope_cos_TE_, rope_sin_TE_) = rope_tables(config_.max_seq_len, config_.head_dim(), config_.rope_theta, placement_.device);
}

void LlamaModel::check_tokens(const at::Tensor& tokens_BT) const {
  std::ostringstream why;
  if (tokens_BT.dim() != 2 || tokens_BT.scalar_type() != at::kLong) {
    why << "Expected an int64 tensor of shape [batch, seq] for tokens but received " << tokens_BT.scalar_type() << " of rank " << tokens_BT.dim();
  } else if (tokens_BT.size(1) < 2 || tokens_BT.size(1) > config_.max_seq_len || tokens_BT.size(0) < 1) {
    why << "Expected 1 or more sequences of 2.." << config_.max_seq_len << " tokens but received shape [" << tokens_BT.size(0) << ", " << tokens_BT.size(1) << "]";
  } else if (tokens_BT.device().is_cpu()) {
    // Range-checked where the ids are on the host (shards, the addon): on a GPU the two reads would stall the
    // launch queue every micro-batch. Device-resident ids come from the validated shard reader.
    const auto lo = tokens_BT.min().item<int64_t>();
    const auto hi = tokens_BT.max().item<int64_t>();
    if (lo < 0 || hi >= config_.vocab_size) {
      why << "Expected token ids in [0, " << config_.vocab_size << ") but received " << (lo < 0 ? lo : hi);
    }
  }
  if (!why.str().empty()) throw InvalidArgumentError(why.str());
}

at::Tensor LlamaModel::hidden(const at::Tensor& tokens_BT) const {
  check_tokens(tokens_BT);
  const at::ScalarType cdt = placement_.compute_dtype;
  const auto B = tokens_BT.size(0), T = tokens_BT.size(1);
  const int64_t D = config_.dim, H = config_.n_heads, K = config_.n_kv_heads, E = config_.head_dim();
  const at::Tensor tokens = tokens_BT.to(placement_.device);

  at::Tensor h_BTD = at::embedding(params_[0], tokens).to(cdt);
  const int64_t F = config_.ffn_dim;
  const double eps = config_.norm_eps;
  const auto norm = [&](const at::Tensor& x, const at::Tensor& weight) {
    return fused_ ? fused_rms_norm(x, weight, eps) : rms_norm(x, weight, eps, cdt);
  };
  for (int64_t layer = 0; layer < config_.n_layers; ++layer) {
    const auto raw = [&](LayerParam which) -> const at::Tensor& { return params_[1 + layer * kPerLayer + which]; };
    const at::Tensor x_BTD = norm(h_BTD, raw(kInputNorm));
    // q, k and v in one GEMM over the stacked weights (one read of x, one larger, more efficient matmul).
    const at::Tensor qkv_BTX = at::linear(x_BTD, at::cat({raw(kQ), raw(kK), raw(kV)}, 0).to(cdt));
    at::Tensor q_BHTE, k_BKTE, v_BKTE;
    if (fused_) {
      const auto qkv = fused_rope_qkv(qkv_BTX, rope_cos_TE_, rope_sin_TE_, H, K, E);
      q_BHTE = qkv[0], k_BKTE = qkv[1], v_BKTE = qkv[2];
    } else {
      q_BHTE = apply_rope(qkv_BTX.narrow(-1, 0, D).view({B, T, H, E}).transpose(1, 2), rope_cos_TE_, rope_sin_TE_);
      k_BKTE = apply_rope(qkv_BTX.narrow(-1, D, K * E).view({B, T, K, E}).transpose(1, 2), rope_cos_TE_, rope_sin_TE_);
      v_BKTE = qkv_BTX.narrow(-1, D + K * E, K * E).view({B, T, K, E}).transpose(1, 2);
    }
    const at::Tensor attn_BTD = causal_attention(q_BHTE, k_BKTE, v_BKTE).transpose(1, 2).reshape({B, T, D});
    h_BTD = h_BTD + at::linear(attn_BTD, raw(kO).to(cdt));
    const at::Tensor y_BTD = norm(h_BTD, raw(kPostNorm));
    // gate and up projections in one GEMM, likewise.
    const at::Tensor gate_up_BT2F = at::linear(y_BTD, at::cat({raw(kGate), raw(kUp)}, 0).to(cdt));
    const at::Tensor gated_BTF = fused_ ? fused_swiglu(gate_up_BT2F)
                                        : at::silu(gate_up_BT2F.narrow(-1, 0, F)) * gate_up_BT2F.narrow(-1, F, F);
    h_BTD = h_BTD + at::linear(gated_BTF, raw(kDown).to(cdt));
  }
  const size_t norm_index = 1 + static_cast<size_t>(config_.n_layers) * kPerLayer;
  return norm(h_BTD, params_[norm_index]);
}

at::Tensor LlamaModel::compute_logits(const at::Tensor& tokens_BT) const {
  const at::Tensor head_VD = config_.tied_embeddings ? params_[0] : params_.back();
  return at::linear(hidden(tokens_BT), head_VD.to(placement_.compute_dtype));
}

at::Tensor LlamaModel::logits(const at::Tensor& tokens_BT) const {
  return compute_logits(tokens_BT).to(accumulate_dtype(placement_.compute_dtype));
}

at::Tensor LlamaModel::loss(const at::Tensor& tokens_BT) const {
  // Fused: the logits stay in the compute dtype, and the fused loss reads them once and writes their gradient
  // once. Eager: fp32 logits through at::cross_entropy_loss. hidden() validates the tokens first either way.
  const at::Tensor logits_BTV = fused_ ? compute_logits(tokens_BT) : logits(tokens_BT);
  const auto V = logits_BTV.size(2);
  // Targets are the tokens shifted left; the last position has none and is ignored. Ignoring it (rather than
  // slicing it off) keeps the [B·T, V] logits contiguous: no copy of the largest tensor of the step.
  constexpr int64_t kIgnore = -100;
  const at::Tensor tokens = tokens_BT.to(placement_.device);
  const at::Tensor targets_BT = at::cat({tokens.narrow(1, 1, tokens.size(1) - 1), at::full({tokens.size(0), 1}, kIgnore, tokens.options())}, 1);
  if (fused_) {
    const at::Tensor loss_N = fused_cross_entropy(logits_BTV.view({-1, V}), targets_BT.view({-1}), kIgnore);
    return loss_N.sum() / static_cast<double>(tokens.size(0) * (tokens.size(1) - 1));
  }
  return at::cross_entropy_loss(logits_BTV.view({-1, V}), targets_BT.view({-1}), {}, at::Reduction::Mean, kIgnore);
}

void LlamaModel::load_parameters(const std::vector<at::Tensor>& values) {
  if (values.size() != params_.size()) {
    throw InvalidArgumentError("Expected " + std::to_string(params_.size()) + " parameter tensors but received " + std::to_string(values.size()));
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].sizes() != params_[i].sizes()) {
      std::ostringstream why;
      why << "Expected shape " << params_[i].sizes() << " for " << specs_[i].name << " but received " << values[i].sizes();
      throw InvalidArgumentError(why.str());
    }
  }
  c10::NoGradGuard no_grad;
  for (size_t i = 0; i < values.size(); ++i) params_[i].copy_(values[i]);
}

}  // namespace cohort
