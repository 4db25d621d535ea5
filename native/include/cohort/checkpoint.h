// Model checkpoints as Hugging Face loads them: a directory with `model.safetensors` (the parameters
// under their LlamaForCausalLM names) and `config.json`, so `transformers` opens it as LlamaForCausalLM
// without conversion. Loading checks the file hash (when given), the config's shape fields and the exact
// tensor set against the expected ModelConfig, and returns nothing unless everything matches.
#pragma once

#include <ATen/core/Tensor.h>

#include <optional>
#include <string>
#include <vector>

#include "cohort/blake2b.h"
#include "cohort/model_config.h"
#include "cohort/safetensors.h"

namespace cohort {

inline constexpr const char* kCheckpointModelFile = "model.safetensors";
inline constexpr const char* kCheckpointConfigFile = "config.json";

struct Checkpoint {
  std::vector<NamedTensor> tensors;  // float32 CPU tensors, in parameter_specs(config) order
  SafetensorsMetadata metadata;      // includes "format": "pt"
};

// The config.json text (LlamaForCausalLM, keys sorted, 2-space indent, trailing newline) for `config`
// with parameters stored as `dtype` (float32 or bfloat16).
std::string hf_config_json(const ModelConfig& config, at::ScalarType dtype);

// Writes dir/model.safetensors, then dir/config.json, each atomically (creating `dir` if needed).
// `tensors` must be exactly parameter_specs(config) (any order; written in canonical order, so the same
// parameters always give the same bytes) and all float32 or all bfloat16. `metadata` is stored in the
// safetensors header next to "format": "pt", which transformers requires (a different "format" is
// rejected). Throws InvalidArgumentError listing the first mismatches.
void save_checkpoint(const std::string& dir, const ModelConfig& config, const std::vector<NamedTensor>& tensors,
                     const SafetensorsMetadata& metadata = {});

// Loads dir/model.safetensors and dir/config.json. With expected_model_blake2b256, the file's BLAKE2b-256
// must match before anything else is read. config.json's shape fields must equal `expected`'s, and the
// tensors must be exactly parameter_specs(expected) with their shapes, stored as F32 or BF16 (converted
// to float32). Any mismatch is an InvalidArgumentError listing the first problems (missing, unexpected,
// wrong shape, wrong dtype).
Checkpoint load_checkpoint(const std::string& dir, const ModelConfig& expected,
                           const std::optional<Blake2b256Digest>& expected_model_blake2b256 = std::nullopt);

}  // namespace cohort
