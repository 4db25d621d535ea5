// A LLaMA-family decoder (RMSNorm, RoPE, SwiGLU, grouped-query attention, tied or untied embeddings, no
// biases) held as a flat list of parameter tensors in the canonical order of parameter_specs(), so the
// codec, checkpoints and fingerprints all walk the same list. Master weights are fp32 (fp64 for gradient
// checks); the forward pass can compute in bf16 with fp32 norms, softmax and loss.
//
// Shape legend: B batch, T sequence, D model dim, H query heads, K kv heads, E head dim, F ffn dim, V vocab.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cohort/model_config.h"

namespace cohort {

// Where and in which precisions a model lives.
struct ModelPlacement {
  at::Device device = at::kCPU;
  at::ScalarType master_dtype = at::kFloat;   // parameters and optimizer state
  at::ScalarType compute_dtype = at::kFloat;  // matmuls and attention (kBFloat16 on CUDA)
  // RMSNorm, the QKV split with RoPE, SwiGLU and the loss as fused ops (src/kernels) instead of eager chains:
  // one pass each way, on CUDA (bf16, fp32) and the CPU. Ignored where fused_ops_supported() says no.
  bool fused_ops = false;
};

class LlamaModel {
 public:
  // A model of `config` initialised deterministically from `seed` (same seed, same bytes, any device):
  // linear and embedding weights ~ N(0, init_std), output projections scaled by 1/sqrt(2·layers), norms 1.
  LlamaModel(const ModelConfig& config, uint64_t seed, const ModelPlacement& placement = {});

  const ModelConfig& config() const { return config_; }
  const ModelPlacement& placement() const { return placement_; }
  // Whether the forward pass uses the fused ops (placement.fused_ops, where supported).
  bool uses_fused_ops() const { return fused_; }
  // Parameters in parameter_specs() order; they require grad.
  const std::vector<at::Tensor>& parameters() const { return params_; }
  const std::vector<ParamSpec>& specs() const { return specs_; }

  // Next-token cross-entropy (mean over B·(T−1) positions) of tokens_BT (int64, values < vocab_size).
  // Differentiable unless called under a no-grad guard. Throws InvalidArgumentError on bad input.
  at::Tensor loss(const at::Tensor& tokens_BT) const;

  // Logits [B, T, V] in fp32 (fp64 when the model computes in fp64).
  at::Tensor logits(const at::Tensor& tokens_BT) const;

  // Replace every parameter's values (same order, shapes; any float dtype/device), e.g. from a checkpoint.
  void load_parameters(const std::vector<at::Tensor>& values);

 private:
  at::Tensor hidden(const at::Tensor& tokens_BT) const;
  // Logits [B, T, V] in the compute dtype (what logits() widens to fp32 and the fused loss reads as they are).
  at::Tensor compute_logits(const at::Tensor& tokens_BT) const;
  void check_tokens(const at::Tensor& tokens_BT) const;

  ModelConfig config_;
  ModelPlacement placement_;
  std::vector<ParamSpec> specs_;
  std::vector<at::Tensor> params_;
  bool fused_ = false;
  at::Tensor rope_cos_TE_;  // fp32, [max_seq_len, E]
  at::Tensor rope_sin_TE_;
};

}  // namespace cohort
