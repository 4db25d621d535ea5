// Hugging Face LlamaForCausalLM config.json: writing it from a ModelConfig (hf_config_json, declared in
// cohort/checkpoint.h) and checking one against the ModelConfig it should describe.
#include "core/hf_config.h"

#include <cstdint>
#include <string>

#include "cohort/checkpoint.h"
#include "cohort/errors.h"
#include "core/json_fields.h"
#include "core/json_lite.h"
#include "core/problem_list.h"

namespace cohort {
namespace {

// GPT-2 BPE's <|endoftext|>, the tokenizer's only special token (both BOS and EOS).
constexpr int64_t kGpt2EndOfText = 50256;

const char* torch_dtype_name(at::ScalarType dtype) {
  if (dtype == at::kFloat) return "float32";
  if (dtype == at::kBFloat16) return "bfloat16";
  throw InvalidArgumentError(expected_message("float32 or bfloat16", "checkpoint dtype", c10::toString(dtype)));
}

// Plain RoPE with `theta`. transformers 4.x writes rope_theta and rope_scaling (null) at the top level;
// 5.x writes rope_parameters: {rope_theta, rope_type: "default"}. Either form is accepted.
void check_rope(const json::ObjectReader& config, double theta, ProblemList& problems) {
  const json::Value* parameters = config.optional("rope_parameters");
  const json::Value* top_theta = config.optional("rope_theta");
  const json::Value* nested_theta = parameters != nullptr && parameters->is(json::Type::kObject)
                                        ? parameters->find("rope_theta")
                                        : nullptr;
  const json::Value* found = top_theta != nullptr ? top_theta : nested_theta;
  if (found == nullptr || !found->is_number() || found->as_double() != theta) {
    problems.add(expected_message(json::write_compact(json::Value::number(theta)),
                                  top_theta != nullptr || nested_theta == nullptr ? "rope_theta"
                                                                                  : "rope_parameters.rope_theta",
                                  found == nullptr ? "none" : json::describe(*found)));
  }
  const json::Value* scaling = config.optional("rope_scaling");
  if (scaling != nullptr && !scaling->is(json::Type::kNull)) {
    problems.add(expected_message("null (plain RoPE)", "rope_scaling", json::describe(*scaling)));
  }
  const json::Value* type = parameters != nullptr && parameters->is(json::Type::kObject)
                                ? parameters->find("rope_type")
                                : nullptr;
  if (type != nullptr && !(type->is(json::Type::kString) && type->as_string() == "default")) {
    problems.add(expected_message("\"default\" (plain RoPE)", "rope_parameters.rope_type", json::describe(*type)));
  }
}

}  // namespace

std::string hf_config_json(const ModelConfig& config, at::ScalarType dtype) {
  validate_config(config);
  using json::Value;
  Value architectures = Value::array();
  architectures.push_back(Value::string("LlamaForCausalLM"));
  // Keys in sorted order, as transformers writes them (json.dumps(sort_keys=True)).
  Value root = Value::object();
  root.insert("architectures", std::move(architectures));
  root.insert("attention_bias", Value::boolean(false));
  root.insert("attention_dropout", Value::number(0.0));
  root.insert("bos_token_id", Value::integer(kGpt2EndOfText));
  root.insert("eos_token_id", Value::integer(kGpt2EndOfText));
  root.insert("head_dim", Value::integer(config.head_dim()));
  root.insert("hidden_act", Value::string("silu"));
  root.insert("hidden_size", Value::integer(config.dim));
  root.insert("initializer_range", Value::number(config.init_std));
  root.insert("intermediate_size", Value::integer(config.ffn_dim));
  root.insert("max_position_embeddings", Value::integer(config.max_seq_len));
  root.insert("mlp_bias", Value::boolean(false));
  root.insert("model_type", Value::string("llama"));
  root.insert("num_attention_heads", Value::integer(config.n_heads));
  root.insert("num_hidden_layers", Value::integer(config.n_layers));
  root.insert("num_key_value_heads", Value::integer(config.n_kv_heads));
  root.insert("rms_norm_eps", Value::number(config.norm_eps));
  root.insert("rope_theta", Value::number(config.rope_theta));
  root.insert("tie_word_embeddings", Value::boolean(config.tied_embeddings));
  root.insert("torch_dtype", Value::string(torch_dtype_name(dtype)));
  root.insert("vocab_size", Value::integer(config.vocab_size));
  return json::write_pretty(root, 2) + "\n";
}

void check_hf_config(std::string_view text, const ModelConfig& expected, const std::string& path) {
  json::ParseOptions options;
  options.source = path;
  options.max_bytes = 1u << 20;
  options.max_depth = 8;
  const json::Value root = json::parse(text, options);
  const json::ObjectReader config(root, "", path);
  ProblemList problems;
  const auto check = [&](const char* key, bool required, const std::string& want, auto matches) {
    const json::Value* value = config.optional(key);
    if (value == nullptr ? required : !matches(*value)) {
      problems.add(expected_message(want, key, value == nullptr ? "none" : json::describe(*value)));
    }
  };
  const auto check_int = [&](const char* key, int64_t want, bool required = true) {
    check(key, required, std::to_string(want),
          [&](const json::Value& v) { return v.is(json::Type::kInt) && v.as_int() == want; });
  };
  const auto check_number = [&](const char* key, double want) {
    check(key, true, json::write_compact(json::Value::number(want)),
          [&](const json::Value& v) { return v.is_number() && v.as_double() == want; });
  };
  check("model_type", true, "\"llama\"",
        [](const json::Value& v) { return v.is(json::Type::kString) && v.as_string() == "llama"; });
  check("architectures", true, "[\"LlamaForCausalLM\"]", [](const json::Value& v) {
    return v.is(json::Type::kArray) && v.size() == 1 && v.at(0).is(json::Type::kString) &&
           v.at(0).as_string() == "LlamaForCausalLM";
  });
  check_int("vocab_size", expected.vocab_size);
  check_int("hidden_size", expected.dim);
  check_int("intermediate_size", expected.ffn_dim);
  check_int("num_hidden_layers", expected.n_layers);
  check_int("num_attention_heads", expected.n_heads);
  check_int("num_key_value_heads", expected.n_kv_heads);
  check_int("head_dim", expected.head_dim(), /*required=*/false);  // older configs derive it
  check_int("max_position_embeddings", expected.max_seq_len);
  check("tie_word_embeddings", true, expected.tied_embeddings ? "true" : "false", [&](const json::Value& v) {
    return v.is(json::Type::kBool) && v.as_bool() == expected.tied_embeddings;
  });
  check_number("rms_norm_eps", expected.norm_eps);
  check_rope(config, expected.rope_theta, problems);
  problems.throw_if_any(path + " does not match model config \"" + expected.preset + "\"");
}

}  // namespace cohort
