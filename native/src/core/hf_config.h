// Hugging Face config.json for LlamaForCausalLM: checking a file against the ModelConfig it should
// describe. (Writing it is hf_config_json in cohort/checkpoint.h.)
#pragma once

#include <string>
#include <string_view>

#include "cohort/model_config.h"

namespace cohort {

// Throws InvalidArgumentError naming `path` and listing the first fields of `text` that differ from
// `expected` (model_type, architectures and every shape field: sizes, heads, layers, vocabulary,
// tie_word_embeddings, max_position_embeddings, rms_norm_eps, and plain RoPE with rope_theta, written the
// transformers 4.x way or the 5.x way).
void check_hf_config(std::string_view text, const ModelConfig& expected, const std::string& path);

}  // namespace cohort
