// Checkpoint I/O, bottom up: the JSON reader/writer (json_lite) that parses safetensors headers and
// config.json, safetensors files (golden bytes from the reference implementation's own tests, every
// dtype, hostile headers), and checkpoints (byte-identical round trips of the devnet preset, bf16, and
// each way a checkpoint can fail to match its model config).
#include <ATen/ATen.h>
#include <ftw.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "cohort/checkpoint.h"
#include "cohort/errors.h"
#include "cohort/model_config.h"
#include "cohort/safetensors.h"
#include "core/json_lite.h"
#include "test_files.h"
#include "test_harness.h"

namespace {

namespace json = cohort::json;
using cohort::test::TempDir;

bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string le64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (8 * i));
  return out;
}

// A safetensors file from a header text and `data_bytes` zero bytes.
std::string raw_file(const std::string& header, size_t data_bytes) {
  return le64(header.size()) + header + std::string(data_bytes, '\0');
}

// Rewrites the header of a safetensors file in place, keeping its data buffer.
void rewrite_header(const std::string& path, const std::function<std::string(const std::string&)>& edit) {
  const std::string bytes = read_bytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[i]);
  const std::string header = edit(bytes.substr(8, n));
  write_bytes(path, le64(header.size()) + header + bytes.substr(8 + n));
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("test setup: \"" + from + "\" not found");
  return text.replace(at, from.size(), to);
}

std::vector<cohort::NamedTensor> random_parameters(const cohort::ModelConfig& config, at::ScalarType dtype) {
  at::manual_seed(1234);
  std::vector<cohort::NamedTensor> tensors;
  for (const cohort::ParamSpec& spec : cohort::parameter_specs(config)) {
    tensors.push_back({spec.name, at::randn(spec.shape).to(dtype)});
  }
  return tensors;
}

bool same_tensors(const std::vector<cohort::NamedTensor>& a, const std::vector<cohort::NamedTensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].tensor.scalar_type() != b[i].tensor.scalar_type() ||
        !at::equal(a[i].tensor, b[i].tensor)) {
      return false;
    }
  }
  return true;
}

json::Value parse(const std::string& text) {
  json::ParseOptions options;
  options.source = "test.json";
  options.max_bytes = 1024;
  options.max_depth = 4;
  return json::parse(text, options);
}

}  // namespace

// ---- json_lite ----

COHORT_TEST(json_reads_scalars_escapes_and_unicode) {
  const json::Value v = parse(
      R"( {"a": [1, -2, 3.5e2, true, false, null, -9223372036854775808, 9223372036854775807],)"
      R"( "s": "q\"b\\s\/\b\f\n\r\t\u00e9\ud83d\ude00é", "o": {}} )");
  const json::Value& a = *v.find("a");
  REQUIRE_EQ(a.size(), size_t{8});
  REQUIRE_EQ(a.at(0).as_int(), 1);
  REQUIRE_EQ(a.at(1).as_int(), -2);
  REQUIRE(a.at(2).is(json::Type::kDouble) && a.at(2).as_double() == 350.0);
  REQUIRE(a.at(3).as_bool() && !a.at(4).as_bool() && a.at(5).is(json::Type::kNull));
  REQUIRE_EQ(a.at(6).as_int(), std::numeric_limits<int64_t>::min());
  REQUIRE_EQ(a.at(7).as_int(), std::numeric_limits<int64_t>::max());
  REQUIRE_EQ(v.find("s")->as_string(), std::string("q\"b\\s/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80\xc3\xa9"));
  REQUIRE_EQ(v.find("o")->size(), size_t{0});
  REQUIRE(v.find("missing") == nullptr);
}

COHORT_TEST(json_rejects_hostile_input_with_byte_offsets) {
  REQUIRE_INVALID(parse("9223372036854775808"), "test.json: invalid JSON at byte 0", "outside int64");
  REQUIRE_INVALID(parse("-9223372036854775809"), "outside int64");
  REQUIRE_INVALID(parse("[[[[[1]]]]]"), "at byte 4", "deeper than the limit of 4");
  REQUIRE_INVALID(parse(std::string(1025, ' ')), "exceeds the limit of 1024");
  REQUIRE_INVALID(parse(R"({"a":1,"b":2,"a":3})"), "at byte 0", "duplicate key \"a\"");
  REQUIRE_INVALID(parse(R"(["\udc00"])"), "at byte 2", "lone low surrogate");
  REQUIRE_INVALID(parse(R"(["\ud800x"])"), "high surrogate");
  REQUIRE_INVALID(parse("[\"\xff\"]"), "at byte 2", "invalid UTF-8");
  REQUIRE_INVALID(parse("[\"\xc0\x80\"]"), "invalid UTF-8");        // overlong NUL
  REQUIRE_INVALID(parse("[\"\xed\xa0\x80\"]"), "invalid UTF-8");    // encoded surrogate
  REQUIRE_INVALID(parse("[\"\xe2\x82\"]"), "invalid UTF-8");        // truncated sequence
  REQUIRE_INVALID(parse("[\"a\nb\"]"), "at byte 3", "control character");
  REQUIRE_INVALID(parse("{\"a\" 1}"), "at byte 5", "expected ':'");
  REQUIRE_INVALID(parse("[1,]"), "at byte 3", "expected a value");
  REQUIRE_INVALID(parse("01"), "at byte 1", "end of the document");
  REQUIRE_INVALID(parse("1."), "after a decimal point");
  REQUIRE_INVALID(parse("1e999"), "out of double range");
  REQUIRE_INVALID(parse("\"abc"), "unterminated string");
  REQUIRE_INVALID(parse("[1] x"), "at byte 4", "found 'x'");
  REQUIRE_INVALID(parse("nul"), "expected a value");
  REQUIRE_INVALID(parse(""), "at byte 0");
}

COHORT_TEST(json_writes_python_and_serde_forms) {
  json::Value v = json::Value::object();
  v.insert("eps", json::Value::number(1e-5));
  v.insert("theta", json::Value::number(10000.0));
  v.insert("big", json::Value::number(1e16));
  v.insert("small", json::Value::number(0.0001));
  v.insert("std", json::Value::number(0.02));
  v.insert("n", json::Value::integer(-7));
  v.insert("s", json::Value::string("a\"\\\n\x01/é"));
  json::Value list = json::Value::array();
  list.push_back(json::Value::boolean(true));
  list.push_back(json::Value());
  v.insert("list", std::move(list));
  v.insert("empty", json::Value::array());
  const std::string compact = json::write_compact(v);
  REQUIRE_EQ(compact, std::string(R"({"eps":1e-05,"theta":10000.0,"big":1e+16,"small":0.0001,"std":0.02,"n":-7,)"
                                  R"("s":"a\"\\\n\u0001/é","list":[true,null],"empty":[]})"));
  REQUIRE_EQ(json::write_compact(parse(compact)), compact);  // reads back to the same values and types
  REQUIRE_EQ(json::write_pretty(parse(R"({"a":[1],"b":{}})"), 2),
             std::string("{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}"));
  REQUIRE_THROWS_AS(json::Value::number(std::numeric_limits<double>::infinity()), cohort::InvalidArgumentError);
  REQUIRE_THROWS_AS(v.insert("n", json::Value()), cohort::InternalError);
  REQUIRE_THROWS_AS(v.find("n")->as_string(), cohort::InternalError);
}

// ---- safetensors ----

// The exact bytes of the reference implementation's test_serialization / test_empty
// (safetensors/src/tensor.rs).
COHORT_TEST(safetensors_matches_reference_bytes) {
  const TempDir dir;
  const float values[] = {0, 1, 2, 3, 4, 5};
  cohort::save_safetensors(dir.file("a.safetensors"),
                           {{"attn.0", at::from_blob(const_cast<float*>(values), {1, 2, 3}, at::kFloat)}});
  const std::string header = R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})";
  REQUIRE_EQ(header.size(), size_t{64});
  REQUIRE(read_bytes(dir.file("a.safetensors")) ==
          le64(64) + header + std::string(reinterpret_cast<const char*>(values), sizeof(values)));
  cohort::save_safetensors(dir.file("b.safetensors"), {});
  REQUIRE(read_bytes(dir.file("b.safetensors")) == le64(8) + "{}      ");
  cohort::save_safetensors(dir.file("c.safetensors"), {}, {{"framework", "pt"}});
  REQUIRE(read_bytes(dir.file("c.safetensors")) == le64(40) + R"({"__metadata__":{"framework":"pt"}}     )");
  REQUIRE(!exists(dir.file("a.safetensors.tmp-" + std::to_string(getpid()))));
}

COHORT_TEST(safetensors_round_trips_every_dtype_in_order) {
  const TempDir dir;
  at::manual_seed(7);
  const std::vector<cohort::NamedTensor> tensors = {
      {"z.f32", at::randn({3, 5})},
      {"y.bf16", at::randn({4, 2}).to(at::kBFloat16)},
      {"x.f16", at::randn({7}).to(at::kHalf)},
      {"w.f64", at::randn({2, 2, 2}, at::kDouble)},
      {"v.i64", at::randint(-1000, 1000, {5}, at::kLong)},
      {"u.i32", at::randint(-1000, 1000, {3, 1}, at::kInt)},
      {"t.u8", at::randint(0, 255, {9}, at::kByte)},
      {"s.i16", at::randint(-1000, 1000, {2}, at::kShort)},
      {"r.i8", at::randint(-100, 100, {3}, at::kChar)},
      {"q.scalar", at::scalar_tensor(2.5)},
      {"p.empty", at::zeros({0, 4})},
      {"o.strided", at::randn({4, 6}).t()},  // written contiguous
  };
  const cohort::SafetensorsMetadata metadata = {{"step", "12"}, {"note", "é \"quoted\""}};
  cohort::save_safetensors(dir.file("m.safetensors"), tensors, metadata);
  const cohort::SafetensorsContents loaded = cohort::load_safetensors(dir.file("m.safetensors"));
  REQUIRE(same_tensors(loaded.tensors, tensors));  // data-buffer order is the given order
  REQUIRE(loaded.metadata == metadata);
  // The header lists tensors as the reference does: alignment descending (I64 > F64 > F32 > ... > U8), then name.
  const std::string bytes = read_bytes(dir.file("m.safetensors"));
  REQUIRE(bytes.find("\"v.i64\"") < bytes.find("\"w.f64\"") && bytes.find("\"w.f64\"") < bytes.find("\"o.strided\"") &&
          bytes.find("\"o.strided\"") < bytes.find("\"z.f32\"") && bytes.find("\"z.f32\"") < bytes.find("\"y.bf16\"") &&
          bytes.find("\"r.i8\"") < bytes.find("\"t.u8\""));
  const cohort::SafetensorsHeader header = cohort::read_safetensors_header(dir.file("m.safetensors"));
  REQUIRE_EQ(header.entries.size(), tensors.size());
  REQUIRE_EQ(header.entries[1].name, std::string("y.bf16"));
  REQUIRE_EQ(header.entries[1].dtype, std::string("BF16"));
  REQUIRE(header.entries[1].shape == std::vector<int64_t>({4, 2}));
  REQUIRE_EQ(header.entries[1].begin, uint64_t{60});
  REQUIRE_EQ(header.entries[1].end, uint64_t{76});
  REQUIRE_EQ(header.data_start % 8, uint64_t{0});
  REQUIRE_EQ(header.file_size, static_cast<uint64_t>(bytes.size()));
}

COHORT_TEST(safetensors_rejects_bad_tensors_on_save) {
  const TempDir dir;
  const std::string path = dir.file("bad.safetensors");
  REQUIRE_INVALID(cohort::save_safetensors(path, {{"a", at::zeros({2})}, {"a", at::zeros({2})}}), "duplicate name");
  REQUIRE_INVALID(cohort::save_safetensors(path, {{"__metadata__", at::zeros({2})}}), "reserved name");
  REQUIRE_INVALID(cohort::save_safetensors(path, {{"", at::zeros({2})}}), "empty name");
  REQUIRE_INVALID(cohort::save_safetensors(path, {{"b", at::zeros({2}, at::kBool)}}), "tensor \"b\"", "Bool");
  REQUIRE_INVALID(cohort::save_safetensors(path, {{"c", at::Tensor()}}), "undefined tensor");
  REQUIRE_INVALID(cohort::save_safetensors(dir.file("missing/x.safetensors"), {}), "missing/x.safetensors.tmp-");
  REQUIRE(!exists(path));
}

COHORT_TEST(safetensors_rejects_hostile_files) {
  const TempDir dir;
  const std::string path = dir.file("h.safetensors");
  const auto load_raw = [&](const std::string& bytes) {
    write_bytes(path, bytes);
    return cohort::load_safetensors(path);
  };
  const std::string one = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  REQUIRE_EQ(load_raw(raw_file(one, 8)).tensors.size(), size_t{1});
  REQUIRE_INVALID(load_raw("\x01\x00\x00"), "h.safetensors", "at least 8 bytes");
  REQUIRE_INVALID(load_raw(le64(uint64_t{1} << 63) + one), "header length of at most");
  REQUIRE_INVALID(load_raw(le64(one.size() + 1) + one), "header length of at most");
  REQUIRE_INVALID(load_raw(raw_file(one, 7)), "tensors ending at byte 7", "received tensors ending at byte 8");
  REQUIRE_INVALID(load_raw(raw_file(one, 9)), "tensors ending at byte 9");  // trailing bytes: a polyglot file
  REQUIRE_INVALID(load_raw(raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,800]}})", 8)),
                  "Expected 8 bytes (F32 [2])", "tensor \"a\".data_offsets");
  REQUIRE_INVALID(load_raw(raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", 16)),
                  "starting at 0", "tensor \"a\"");
  const std::string overlap =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  REQUIRE_INVALID(load_raw(raw_file(overlap, 12)), "starting at 8", "tensor \"b\"", "[4, 12]");
  REQUIRE_INVALID(load_raw(raw_file(R"({"a":{"dtype":"F7","shape":[2],"data_offsets":[0,8]}})", 8)),
                  "safetensors dtype", "\"F7\"");
  REQUIRE_INVALID(load_raw(raw_file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8)),
                  "tensor \"a\".shape", "-2");
  REQUIRE_INVALID(load_raw(raw_file(R"({"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", 8)), "2.0");
  REQUIRE_INVALID(load_raw(raw_file(R"({"a":{"dtype":"F32","shape":[4611686018427387904,8],"data_offsets":[0,8]}})",
                                    8)),
                  "fits 63 bits");
  REQUIRE_INVALID(load_raw(raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{}})", 8)),
                  "duplicate key \"a\"");
  REQUIRE_INVALID(load_raw(raw_file(R"({"a":{"dtype":"F32","shape":[2]}})", 8)), "data_offsets", "none");
  REQUIRE_INVALID(load_raw(raw_file(R"({"__metadata__":{"k":1}})", 0)), "__metadata__.k", "a string");
  REQUIRE_INVALID(load_raw(raw_file("{\"\xff\":{}}", 0)), "invalid UTF-8");
  REQUIRE_INVALID(load_raw(raw_file(R"([])", 0)), "does not start with '{'");
  REQUIRE_INVALID(load_raw(raw_file(R"({"a":{"x":{"y":[1]}}})", 0)), "deeper than the limit");
  // Known to the format but not loadable here; the header alone still reads.
  write_bytes(path, raw_file(R"({"a":{"dtype":"U16","shape":[2],"data_offsets":[0,4]}})", 4));
  REQUIRE_EQ(cohort::read_safetensors_header(path).entries[0].dtype, std::string("U16"));
  REQUIRE_INVALID(cohort::load_safetensors(path), "tensor \"a\"", "U16");
  REQUIRE_INVALID(cohort::load_safetensors(dir.file("absent.safetensors")), "absent.safetensors",
                  "No such file");
}

// ---- checkpoints ----

COHORT_TEST(checkpoint_devnet_round_trip_is_byte_identical) {
  const TempDir dir;
  const cohort::ModelConfig config = cohort::preset_config("devnet");
  const std::vector<cohort::NamedTensor> params = random_parameters(config, at::kFloat);
  cohort::save_checkpoint(dir.file("a"), config, params, {{"step", "3"}});
  const cohort::Checkpoint loaded = cohort::load_checkpoint(dir.file("a"), config);
  REQUIRE(same_tensors(loaded.tensors, params));
  REQUIRE(loaded.metadata == cohort::SafetensorsMetadata({{"format", "pt"}, {"step", "3"}}));
  cohort::save_checkpoint(dir.file("b"), config, loaded.tensors, loaded.metadata);
  const std::string model = read_bytes(dir.file("a/model.safetensors"));
  REQUIRE(model == read_bytes(dir.file("b/model.safetensors")));
  REQUIRE(read_bytes(dir.file("a/config.json")) == read_bytes(dir.file("b/config.json")));
  // Any order in, canonical order on disk.
  std::vector<cohort::NamedTensor> reversed(params.rbegin(), params.rend());
  cohort::save_checkpoint(dir.file("c"), config, reversed, {{"step", "3"}});
  REQUIRE(model == read_bytes(dir.file("c/model.safetensors")));
  // With the right hash.
  const cohort::Blake2b256Digest digest = cohort::blake2b256(model.data(), model.size());
  REQUIRE(same_tensors(cohort::load_checkpoint(dir.file("a"), config, digest).tensors, params));
}

// What transformers' LlamaConfig.to_json_string writes (Python json.dumps(indent=2, sort_keys=True)).
COHORT_TEST(checkpoint_config_json_is_what_transformers_writes) {
  const TempDir dir;
  const cohort::ModelConfig config = cohort::preset_config("devnet");
  cohort::save_checkpoint(dir.path(), config, random_parameters(config, at::kFloat));
  REQUIRE_EQ(read_bytes(dir.file("config.json")),
             std::string("{\n  \"architectures\": [\n    \"LlamaForCausalLM\"\n  ],\n  \"attention_bias\": false,\n"
                         "  \"attention_dropout\": 0.0,\n  \"bos_token_id\": 50256,\n  \"eos_token_id\": 50256,\n"
                         "  \"head_dim\": 32,\n  \"hidden_act\": \"silu\",\n  \"hidden_size\": 128,\n"
                         "  \"initializer_range\": 0.02,\n  \"intermediate_size\": 384,\n"
                         "  \"max_position_embeddings\": 256,\n  \"mlp_bias\": false,\n  \"model_type\": \"llama\",\n"
                         "  \"num_attention_heads\": 4,\n  \"num_hidden_layers\": 4,\n  \"num_key_value_heads\": 2,\n"
                         "  \"rms_norm_eps\": 1e-05,\n  \"rope_theta\": 10000.0,\n  \"tie_word_embeddings\": true,\n"
                         "  \"torch_dtype\": \"float32\",\n  \"vocab_size\": 50304\n}\n"));
}

// config.json as transformers 5.17 save_pretrained writes it for the devnet model: "dtype", and
// rope_parameters instead of a top-level rope_theta.
COHORT_TEST(checkpoint_accepts_a_transformers_5_config) {
  const TempDir dir;
  const cohort::ModelConfig config = cohort::preset_config("devnet");
  cohort::save_checkpoint(dir.path(), config, random_parameters(config, at::kFloat));
  const std::string v5 =
      "{\n"
      "  \"architectures\": [\n"
      "    \"LlamaForCausalLM\"\n"
      "  ],\n"
      "  \"attention_bias\": false,\n"
      "  \"attention_dropout\": 0.0,\n"
      "  \"bos_token_id\": 50256,\n"
      "  \"dtype\": \"float32\",\n"
      "  \"eos_token_id\": 50256,\n"
      "  \"head_dim\": 32,\n"
      "  \"hidden_act\": \"silu\",\n"
      "  \"hidden_size\": 128,\n"
      "  \"initializer_range\": 0.02,\n"
      "  \"intermediate_size\": 384,\n"
      "  \"max_position_embeddings\": 256,\n"
      "  \"mlp_bias\": false,\n"
      "  \"model_type\": \"llama\",\n"
      "  \"num_attention_heads\": 4,\n"
      "  \"num_hidden_layers\": 4,\n"
      "  \"num_key_value_heads\": 2,\n"
      "  \"pad_token_id\": null,\n"
      "  \"pretraining_tp\": 1,\n"
      "  \"rms_norm_eps\": 1e-05,\n"
      "  \"rope_parameters\": {\n"
      "    \"rope_theta\": 10000.0,\n"
      "    \"rope_type\": \"default\"\n"
      "  },\n"
      "  \"tie_word_embeddings\": true,\n"
      "  \"transformers_version\": \"5.17.0\",\n"
      "  \"use_cache\": true,\n"
      "  \"vocab_size\": 50304\n"
      "}\n";
  write_bytes(dir.file("config.json"), v5);
  REQUIRE_EQ(cohort::load_checkpoint(dir.path(), config).tensors.size(), cohort::parameter_specs(config).size());
  write_bytes(dir.file("config.json"), replace_once(v5, "\"rope_type\": \"default\"", "\"rope_type\": \"llama3\""));
  REQUIRE_INVALID(cohort::load_checkpoint(dir.path(), config),
                  "Expected \"default\" (plain RoPE) for rope_parameters.rope_type but received \"llama3\"");
  write_bytes(dir.file("config.json"), replace_once(v5, "\"rope_theta\": 10000.0", "\"rope_theta\": 500000.0"));
  REQUIRE_INVALID(cohort::load_checkpoint(dir.path(), config),
                  "Expected 10000.0 for rope_parameters.rope_theta but received 500000.0");
}

COHORT_TEST(checkpoint_bf16_round_trip) {
  const TempDir dir;
  cohort::ModelConfig config = cohort::preset_config("devnet");
  config.tied_embeddings = false;  // lm_head.weight too
  const std::vector<cohort::NamedTensor> params = random_parameters(config, at::kBFloat16);
  cohort::save_checkpoint(dir.file("a"), config, params);
  REQUIRE(read_bytes(dir.file("a/config.json")).find("\"torch_dtype\": \"bfloat16\"") != std::string::npos);
  const cohort::Checkpoint loaded = cohort::load_checkpoint(dir.file("a"), config);
  REQUIRE_EQ(loaded.tensors.back().name, std::string("lm_head.weight"));
  std::vector<cohort::NamedTensor> back_to_bf16;
  for (size_t i = 0; i < loaded.tensors.size(); ++i) {
    REQUIRE(loaded.tensors[i].tensor.scalar_type() == at::kFloat);
    REQUIRE(at::equal(loaded.tensors[i].tensor, params[i].tensor.to(at::kFloat)));  // bf16 → f32 is exact
    back_to_bf16.push_back({loaded.tensors[i].name, loaded.tensors[i].tensor.to(at::kBFloat16)});
  }
  cohort::save_checkpoint(dir.file("b"), config, back_to_bf16, loaded.metadata);
  REQUIRE(read_bytes(dir.file("a/model.safetensors")) == read_bytes(dir.file("b/model.safetensors")));
}

COHORT_TEST(checkpoint_rejects_corrupt_or_mismatched_files) {
  const TempDir dir;
  const cohort::ModelConfig config = cohort::preset_config("devnet");
  std::vector<cohort::NamedTensor> params = random_parameters(config, at::kFloat);
  const std::string model_path = dir.file("model.safetensors");
  const auto fresh = [&] { cohort::save_checkpoint(dir.path(), config, params); };
  const auto load = [&] { return cohort::load_checkpoint(dir.path(), config); };

  fresh();
  const std::string good = read_bytes(model_path);
  write_bytes(model_path, good.substr(0, good.size() - 3));  // truncated
  REQUIRE_INVALID(load(), "model.safetensors", "the end of the file");
  std::string flipped = good;
  flipped[8 + good.substr(8).find(':')] = ';';  // one flipped byte in the header
  write_bytes(model_path, flipped);
  REQUIRE_INVALID(load(), "model.safetensors (safetensors header): invalid JSON at byte", "expected ':'");
  write_bytes(model_path, good);
  const cohort::SafetensorsEntry last = cohort::read_safetensors_header(model_path).entries.back();
  const std::string end = std::to_string(last.end);
  rewrite_header(model_path, [&](const std::string& header) {  // the last tensor moved past the end of the file
    return replace_once(header, "[" + std::to_string(last.begin) + "," + end + "]",
                        "[" + end + "," + std::to_string(2 * last.end - last.begin) + "]");
  });
  REQUIRE_INVALID(load(), "model.safetensors", "tensor \"model.norm.weight\"", "received [" + end + ", ");
  write_bytes(model_path, good);
  const cohort::Blake2b256Digest wrong = cohort::blake2b256("x", 1);
  REQUIRE_INVALID(cohort::load_checkpoint(dir.path(), config, wrong), "model.safetensors",
                  "Expected BLAKE2b-256 " + cohort::to_hex(wrong), "hashing to " +
                      cohort::to_hex(cohort::blake2b256(good.data(), good.size())));

  // Tensor sets that do not match the config (written with save_safetensors, which does not check).
  const auto write_set = [&](const std::vector<cohort::NamedTensor>& tensors) {
    cohort::save_safetensors(model_path, tensors, {{"format", "pt"}});
  };
  std::vector<cohort::NamedTensor> wrong_shape = params;
  wrong_shape[1].tensor = at::zeros({127});
  write_set(wrong_shape);
  REQUIRE_INVALID(load(), "does not match model config \"devnet\"",
                  "Expected shape [128] for model.layers.0.input_layernorm.weight but received [127]");
  std::vector<cohort::NamedTensor> missing(params.begin(), params.end() - 1);
  write_set(missing);
  REQUIRE_INVALID(load(), "missing tensor model.norm.weight");
  std::vector<cohort::NamedTensor> extra = params;
  extra.push_back({"lm_head.weight", at::zeros({50304, 128})});
  write_set(extra);
  REQUIRE_INVALID(load(), "unexpected tensor lm_head.weight");
  std::vector<cohort::NamedTensor> wrong_dtype = params;
  wrong_dtype[2].tensor = wrong_dtype[2].tensor.to(at::kInt);
  write_set(wrong_dtype);
  REQUIRE_INVALID(load(), "Expected dtype F32 or BF16 for model.layers.0.self_attn.q_proj.weight but received I32");

  fresh();
  cohort::ModelConfig deeper = config;
  deeper.n_layers = 5;
  REQUIRE_INVALID(cohort::load_checkpoint(dir.path(), deeper), "config.json does not match model config",
                  "Expected 5 for num_hidden_layers but received 4");
  write_bytes(dir.file("config.json"), replace_once(read_bytes(dir.file("config.json")), "1e-05", "1e-06"));
  REQUIRE_INVALID(load(), "Expected 1e-05 for rms_norm_eps but received 1e-06");
}

COHORT_TEST(checkpoint_save_rejects_a_mismatched_tensor_set) {
  const TempDir dir;
  const cohort::ModelConfig config = cohort::preset_config("devnet");
  std::vector<cohort::NamedTensor> params = random_parameters(config, at::kFloat);
  std::vector<cohort::NamedTensor> duplicated = params;
  duplicated.push_back(params.front());
  REQUIRE_INVALID(cohort::save_checkpoint(dir.path(), config, duplicated), "a duplicate name");
  std::vector<cohort::NamedTensor> mixed = params;
  mixed[0].tensor = mixed[0].tensor.to(at::kBFloat16);
  REQUIRE_INVALID(cohort::save_checkpoint(dir.path(), config, mixed), "every tensor in BFloat16");
  params.pop_back();
  REQUIRE_INVALID(cohort::save_checkpoint(dir.path(), config, params), "missing tensor model.norm.weight");
  const std::vector<cohort::NamedTensor> complete = random_parameters(config, at::kFloat);
  REQUIRE_INVALID(cohort::save_checkpoint(dir.path(), config, complete, {{"format", "np"}}), "\"format\"");
  REQUIRE(!exists(dir.file("model.safetensors")));
}

int main() { return cohort::test::run_all(); }
