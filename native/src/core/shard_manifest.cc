// "cohort-shards/1" manifest parsing and validation (see core/shard_manifest.h).
#include "core/shard_manifest.h"

#include <limits>
#include <set>
#include <string>

#include "cohort/errors.h"
#include "core/json_fields.h"
#include "core/json_lite.h"

namespace cohort {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kMaxSeqLen = int64_t{1} << 20;
constexpr int64_t kMaxVocabSize = int64_t{1} << 32;  // token ids are uint32

// A name that stays inside the dataset directory.
void check_plain_file_name(const json::ObjectReader& file, const std::string& name) {
  const bool plain = !name.empty() && name != "." && name.find('/') == std::string::npos &&
                     name.find('\\') == std::string::npos && name.find("..") == std::string::npos &&
                     name.find('\0') == std::string::npos;
  if (!plain) {
    throw InvalidArgumentError(expected_message("a plain file name (no path separators, no \"..\")",
                                                file.field("file"), json::describe(file.required("file"))));
  }
}

ShardFileInfo parse_file(const json::ObjectReader& shard, const char* key, int64_t expected_bytes,
                         const char* layout) {
  const json::ObjectReader file = shard.object(key);
  ShardFileInfo info;
  info.file = file.string("file");
  check_plain_file_name(file, info.file);
  info.bytes = file.integer("bytes", 0, kInt64Max);
  if (info.bytes != expected_bytes) {
    throw InvalidArgumentError(expected_message(std::to_string(expected_bytes) + " (" + layout + ")",
                                                file.field("bytes"), std::to_string(info.bytes)));
  }
  info.blake2b256 = blake2b256_from_hex(file.string("blake2b256"), file.field("blake2b256"));
  return info;
}

ShardInfo parse_shard(const json::ObjectReader& shard, int64_t seq_len) {
  ShardInfo info;
  info.name = shard.string("name");
  if (info.name.empty()) throw InvalidArgumentError(expected_message("a non-empty name", shard.field("name"), "\"\""));
  const std::string& split = shard.string("split");
  if (split != "train" && split != "heldout") {
    throw InvalidArgumentError(
        expected_message("\"train\" or \"heldout\"", shard.field("split"), json::describe(shard.required("split"))));
  }
  info.split = parse_shard_split(split);
  // Bounded so that samples × seqLen × 4 fits int64.
  info.samples = shard.integer("samples", 0, kInt64Max / (seq_len * 4));
  info.tokens = parse_file(shard, "tokens", info.samples * seq_len * 4, "samples × seqLen × 4");
  info.ids = parse_file(shard, "ids", info.samples * 8, "samples × 8");
  return info;
}

}  // namespace

const char* shard_split_name(ShardSplit split) { return split == ShardSplit::kTrain ? "train" : "heldout"; }

ShardSplit parse_shard_split(std::string_view name) {
  if (name == "train") return ShardSplit::kTrain;
  if (name == "heldout") return ShardSplit::kHeldout;
  throw InvalidArgumentError(
      expected_message("\"train\" or \"heldout\"", "a shard split", "\"" + std::string(name) + "\""));
}

ShardManifest parse_shard_manifest(std::string_view text, const std::string& path) {
  json::ParseOptions options;
  options.source = path;
  options.max_bytes = 64u << 20;
  options.max_depth = 16;  // "source" is free-form
  const json::Value root_value = json::parse(text, options);
  const json::ObjectReader root(root_value, "", path);
  const std::string& format = root.string("format");
  if (format != ShardDataset::kFormat) {
    throw InvalidArgumentError(expected_message("\"" + std::string(ShardDataset::kFormat) + "\"", root.field("format"),
                                                json::describe(root.required("format"))));
  }
  ShardManifest manifest;
  const json::ObjectReader tokenizer = root.object("tokenizer");
  manifest.tokenizer.name = tokenizer.string("name");
  if (tokenizer.optional("package") != nullptr) manifest.tokenizer.package = tokenizer.string("package");
  manifest.tokenizer.vocab_size = tokenizer.integer("vocabSize", 1, kMaxVocabSize);
  manifest.tokenizer.eos_token = tokenizer.integer("eosToken", 0, manifest.tokenizer.vocab_size - 1);
  manifest.seq_len = root.integer("seqLen", 1, kMaxSeqLen);
  const json::Value& shards = root.array("shards");
  std::set<std::string> names;
  for (size_t i = 0; i < shards.size(); ++i) {
    const json::ObjectReader shard(shards.at(i), "shards[" + std::to_string(i) + "]", path);
    ShardInfo info = parse_shard(shard, manifest.seq_len);
    if (!names.insert(info.name).second) {
      throw InvalidArgumentError(expected_message("a unique shard name", shard.field("name"),
                                                  json::describe(shard.required("name")) + " (a duplicate)"));
    }
    manifest.shards.push_back(std::move(info));
  }
  return manifest;
}

}  // namespace cohort
