// Presets and parameter lists of LLaMA-family models (see include/cohort/model_config.h).
#include "cohort/model_config.h"

#include <map>
#include <sstream>

#include "cohort/errors.h"

namespace cohort {
namespace {

// GPT-2 BPE (50257 tokens) padded to a multiple of 64 for matmul efficiency.
constexpr int64_t kGpt2VocabPadded = 50304;

ModelConfig make(const char* name, int64_t dim, int64_t layers, int64_t heads, int64_t kv_heads, int64_t ffn,
                 int64_t seq, double theta, bool tied, int64_t vocab = kGpt2VocabPadded) {
  ModelConfig c;
  c.preset = name;
  c.vocab_size = vocab;
  c.dim = dim;
  c.n_layers = layers;
  c.n_heads = heads;
  c.n_kv_heads = kv_heads;
  c.ffn_dim = ffn;
  c.max_seq_len = seq;
  c.rope_theta = theta;
  c.tied_embeddings = tied;
  return c;
}

// Shapes follow ../shared/reference/templar.md §10 (150M, 1B, 70B as Templar/Covenant ran them; 8B is
// LLaMA-3 8B, the preset Templar used before 70B). Vocabulary is the tokenizer's: GPT-2 BPE here.
const std::map<std::string, ModelConfig>& presets() {
  static const std::map<std::string, ModelConfig> table = {
      {"devnet", make("devnet", 128, 4, 4, 2, 384, 256, 10000.0, true)},
      {"150M", make("150M", 1024, 12, 16, 16, 2816, 2048, 10000.0, true)},
      {"1B", make("1B", 2048, 16, 8, 8, 8192, 2048, 10000.0, true)},
      {"8B", make("8B", 4096, 32, 32, 8, 14336, 2048, 500000.0, false)},
      {"70B", make("70B", 8192, 80, 64, 8, 28672, 2048, 500000.0, true)},
  };
  return table;
}

}  // namespace

std::vector<std::string> preset_names() { return {"devnet", "150M", "1B", "8B", "70B"}; }

ModelConfig preset_config(const std::string& name) {
  const auto it = presets().find(name);
  if (it == presets().end()) {
    std::ostringstream msg;
    msg << "Expected one of";
    for (const auto& n : preset_names()) msg << " " << n;
    msg << " for model preset but received \"" << name << "\"";
    throw InvalidArgumentError(msg.str());
  }
  return it->second;
}

void validate_config(const ModelConfig& c) {
  auto fail = [](const std::string& what) { throw InvalidArgumentError("invalid model config: " + what); };
  if (c.vocab_size <= 0 || c.dim <= 0 || c.n_layers <= 0 || c.n_heads <= 0 || c.n_kv_heads <= 0 ||
      c.ffn_dim <= 0 || c.max_seq_len <= 0) {
    fail("every size must be positive");
  }
  if (c.dim % c.n_heads != 0) fail("dim must be divisible by n_heads");
  if (c.n_heads % c.n_kv_heads != 0) fail("n_heads must be divisible by n_kv_heads");
  if (c.head_dim() % 2 != 0) fail("head_dim must be even for RoPE");
  if (!(c.rope_theta > 0) || !(c.norm_eps > 0) || !(c.init_std > 0)) fail("rope_theta, norm_eps and init_std must be positive");
}

std::vector<ParamSpec> parameter_specs(const ModelConfig& c) {
  validate_config(c);
  const int64_t kv_dim = c.n_kv_heads * c.head_dim();
  std::vector<ParamSpec> specs;
  specs.push_back({"model.embed_tokens.weight", {c.vocab_size, c.dim}});
  for (int64_t i = 0; i < c.n_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    specs.push_back({p + "input_layernorm.weight", {c.dim}});
    specs.push_back({p + "self_attn.q_proj.weight", {c.dim, c.dim}});
    specs.push_back({p + "self_attn.k_proj.weight", {kv_dim, c.dim}});
    specs.push_back({p + "self_attn.v_proj.weight", {kv_dim, c.dim}});
    specs.push_back({p + "self_attn.o_proj.weight", {c.dim, c.dim}});
    specs.push_back({p + "post_attention_layernorm.weight", {c.dim}});
    specs.push_back({p + "mlp.gate_proj.weight", {c.ffn_dim, c.dim}});
    specs.push_back({p + "mlp.up_proj.weight", {c.ffn_dim, c.dim}});
    specs.push_back({p + "mlp.down_proj.weight", {c.dim, c.ffn_dim}});
  }
  specs.push_back({"model.norm.weight", {c.dim}});
  if (!c.tied_embeddings) specs.push_back({"lm_head.weight", {c.vocab_size, c.dim}});
  return specs;
}

int64_t parameter_count(const ModelConfig& c) {
  int64_t total = 0;
  for (const auto& s : parameter_specs(c)) total += s.numel();
  return total;
}

double train_flops_per_token(const ModelConfig& c, int64_t seq_len) {
  // Matmul parameters: every 2-D weight except the embedding lookup, plus the output projection (tied or not).
  const double kv_dim = static_cast<double>(c.n_kv_heads * c.head_dim());
  const double d = static_cast<double>(c.dim);
  const double per_layer = d * d * 2 + 2 * kv_dim * d + 3 * d * static_cast<double>(c.ffn_dim);
  const double matmul_params = per_layer * static_cast<double>(c.n_layers) + d * static_cast<double>(c.vocab_size);
  const double attention = 12.0 * static_cast<double>(c.n_layers) * d * static_cast<double>(seq_len);
  return 6.0 * matmul_params + attention;
}

}  // namespace cohort
