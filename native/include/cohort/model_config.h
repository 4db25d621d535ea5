// The shape of a LLaMA-family model and the named presets (devnet, 150M, 1B, 8B, 70B), plus the exact
// list of parameters a model of that shape has, under their Hugging Face LlamaForCausalLM names. Pure
// functions: the model, the checkpoint loader and the codec all derive names and shapes from here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cohort {

// Hyperparameters of one decoder-only LLaMA model (RMSNorm, RoPE, SwiGLU, grouped-query attention).
struct ModelConfig {
  std::string preset;        // name it came from ("custom" when built by hand)
  int64_t vocab_size = 0;    // embedding rows (tokenizer vocabulary, padded to a multiple of 64)
  int64_t dim = 0;           // hidden size
  int64_t n_layers = 0;
  int64_t n_heads = 0;       // query heads
  int64_t n_kv_heads = 0;    // key/value heads (GQA when < n_heads); must divide n_heads
  int64_t ffn_dim = 0;       // SwiGLU intermediate size
  int64_t max_seq_len = 0;   // longest sequence RoPE tables cover
  double rope_theta = 10000.0;
  double norm_eps = 1e-5;
  bool tied_embeddings = true;  // lm_head shares the embedding matrix
  double init_std = 0.02;       // normal init of linear and embedding weights

  int64_t head_dim() const { return dim / n_heads; }
};

// A preset by name; throws InvalidArgumentError naming the known presets for anything else.
ModelConfig preset_config(const std::string& name);

// Names of every preset, in size order.
std::vector<std::string> preset_names();

// Throws InvalidArgumentError when the shape is unusable (non-positive sizes, dim not divisible by
// heads, heads not divisible by kv heads, odd head_dim for RoPE).
void validate_config(const ModelConfig& config);

// One parameter: its Hugging Face name and shape.
struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;

  // Its element count (the product of the shape).
  int64_t numel() const {
    int64_t n = 1;
    for (const int64_t d : shape) n *= d;
    return n;
  }
};

// Every parameter of the model in canonical order (the order of the wire format and of checkpoints):
// model.embed_tokens.weight, per layer i: input_layernorm, self_attn.{q,k,v,o}_proj,
// post_attention_layernorm, mlp.{gate,up,down}_proj; then model.norm.weight and lm_head.weight
// (the latter only when embeddings are untied).
std::vector<ParamSpec> parameter_specs(const ModelConfig& config);

// Total number of scalar parameters.
int64_t parameter_count(const ModelConfig& config);

// Training FLOPs per token (forward + backward = 6 × matmul parameters, plus attention's
// 12 × layers × dim × seq_len), the convention torchtitan and the MFU literature use.
double train_flops_per_token(const ModelConfig& config, int64_t seq_len);

}  // namespace cohort
