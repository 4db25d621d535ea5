// Pre-tokenised dataset shards ("cohort-shards/1"), memory-mapped for training batches.
//
// A dataset is a directory with `manifest.json`:
//   { "format": "cohort-shards/1",
//     "tokenizer": { "name": "gpt2", "package": "...", "vocabSize": 50257, "eosToken": 50256 },
//     "seqLen": <int>, "source": {...},
//     "shards": [ { "name": "train-00000", "split": "train" | "heldout", "samples": <int>,
//                   "tokens": { "file": "train-00000.tokens", "bytes": <int>, "blake2b256": "<hex>" },
//                   "ids":    { "file": "train-00000.ids",    "bytes": <int>, "blake2b256": "<hex>" } } ] }
// and per shard `<name>.tokens` (uint32 LE, samples × seqLen, row-major, no header) and `<name>.ids`
// (uint64 LE, one per sample: the first 8 bytes, read LE, of BLAKE2b-256 over the sample's seqLen uint32
// LE token bytes). The samples of a split are numbered across its shards in manifest order.
//
// Shape suffixes: B = batch size (number of indices), T = seqLen.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/blake2b.h"

namespace cohort {

enum class ShardSplit { kTrain, kHeldout };

const char* shard_split_name(ShardSplit split);  // "train", "heldout"
ShardSplit parse_shard_split(std::string_view name);  // throws InvalidArgumentError

struct ShardFileInfo {
  std::string file;  // a plain name inside the dataset directory
  int64_t bytes = 0;
  Blake2b256Digest blake2b256{};
};

struct ShardInfo {
  std::string name;
  ShardSplit split = ShardSplit::kTrain;
  int64_t samples = 0;
  ShardFileInfo tokens;
  ShardFileInfo ids;
};

struct TokenizerInfo {
  std::string name;
  std::string package;  // empty when the manifest has none
  int64_t vocab_size = 0;
  int64_t eos_token = 0;
};

// The id of one sample: the first 8 bytes (LE) of BLAKE2b-256 over its tokens as uint32 LE.
uint64_t sample_id_of_tokens(const uint32_t* tokens_T, int64_t seq_len);

// An open dataset: every shard file mapped read-only. Move-only; a moved-from dataset throws
// IllegalStateError on use.
class ShardDataset {
 public:
  static constexpr const char* kFormat = "cohort-shards/1";

  // Reads and validates the manifest (format, tokenizer, seqLen, shard entries, plain file names, sizes
  // consistent with samples × seqLen), checks every file's size and maps it. With verify_hashes, also
  // verify_hashes(). Throws InvalidArgumentError naming the file and the field on any violation.
  static ShardDataset open(const std::string& manifest_path, bool verify_hashes = false);

  ShardDataset(ShardDataset&& other) noexcept;
  ShardDataset& operator=(ShardDataset&& other) noexcept;
  ShardDataset(const ShardDataset&) = delete;
  ShardDataset& operator=(const ShardDataset&) = delete;
  ~ShardDataset();

  const TokenizerInfo& tokenizer() const;
  int64_t seq_len() const;
  const std::vector<ShardInfo>& shards() const;  // manifest order
  std::vector<ShardInfo> shards(ShardSplit split) const;
  int64_t sample_count(ShardSplit split) const;

  // The stored id of sample `index` of `split`; throws InvalidArgumentError for an index out of range.
  uint64_t sample_id(ShardSplit split, int64_t index) const;

  // int64 [B, T] tokens of the given samples of `split`, copied from the mapping. Every index must be in
  // [0, sample_count(split)) and every token below the tokenizer's vocabSize: otherwise
  // InvalidArgumentError naming the shard, sample and token.
  at::Tensor batch(ShardSplit split, const std::vector<int64_t>& indices) const;

  // Streams BLAKE2b-256 over every mapped file and compares it with the manifest; a mismatch is an
  // InvalidArgumentError naming the shard and the file.
  void verify_hashes() const;

 private:
  struct State;
  explicit ShardDataset(std::unique_ptr<State> state);
  const State& state() const;

  std::unique_ptr<State> state_;
};

}  // namespace cohort
