// ShardDataset: memory-mapped "cohort-shards/1" datasets (see include/cohort/shards.h).
// Shape suffixes: B = batch size (number of indices), T = seqLen.
#include "cohort/shards.h"

#include <ATen/ATen.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "cohort/errors.h"
#include "core/file_io.h"
#include "core/mapped_file.h"
#include "core/shard_manifest.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "shard files are little-endian and read in place: a little-endian host is required"
#endif

namespace cohort {
namespace {

constexpr size_t kMaxManifestBytes = 64u << 20;

struct MappedShard {
  MappedFile tokens;
  MappedFile ids;
};

// The shards of one split, with the split-wide index of each one's first sample.
struct SplitIndex {
  std::vector<size_t> shards;   // positions in the manifest
  std::vector<int64_t> starts;  // starts[i] = samples before shards[i]
  int64_t samples = 0;
};

std::string file_label(const ShardInfo& shard, const ShardFileInfo& file) {
  return file.file + " of shard " + shard.name;
}

}  // namespace

uint64_t sample_id_of_tokens(const uint32_t* tokens_T, int64_t seq_len) {
  const Blake2b256Digest digest = blake2b256(tokens_T, static_cast<size_t>(seq_len) * sizeof(uint32_t));
  uint64_t id = 0;
  for (int i = 7; i >= 0; --i) id = (id << 8) | digest[static_cast<size_t>(i)];
  return id;
}

struct ShardDataset::State {
  std::string directory;
  ShardManifest manifest;
  std::vector<MappedShard> mapped;  // parallel to manifest.shards
  SplitIndex splits[2];

  const SplitIndex& split(ShardSplit s) const { return splits[s == ShardSplit::kTrain ? 0 : 1]; }

  // (shard position in the manifest, sample within it) of a split-wide index; throws when out of range.
  std::pair<size_t, int64_t> locate(ShardSplit s, int64_t index, const std::string& what) const {
    const SplitIndex& index_of = split(s);
    if (index < 0 || index >= index_of.samples) {
      throw InvalidArgumentError(expected_message(
          "a sample index in [0, " + std::to_string(index_of.samples) + ")", what + " of split " + shard_split_name(s),
          std::to_string(index)));
    }
    const auto after = std::upper_bound(index_of.starts.begin(), index_of.starts.end(), index);
    const size_t k = static_cast<size_t>(after - index_of.starts.begin()) - 1;
    return {index_of.shards[k], index - index_of.starts[k]};
  }
};

ShardDataset ShardDataset::open(const std::string& manifest_path, bool verify_hashes) {
  auto state = std::make_unique<State>();
  state->directory = io::parent_directory(manifest_path);
  state->manifest = parse_shard_manifest(io::read_small_file(manifest_path, kMaxManifestBytes), manifest_path);
  const ShardManifest& manifest = state->manifest;
  for (size_t i = 0; i < manifest.shards.size(); ++i) {
    const ShardInfo& shard = manifest.shards[i];
    MappedShard mapped{
        MappedFile(state->directory + "/" + shard.tokens.file, static_cast<uint64_t>(shard.tokens.bytes), MADV_RANDOM,
                   file_label(shard, shard.tokens)),
        MappedFile(state->directory + "/" + shard.ids.file, static_cast<uint64_t>(shard.ids.bytes), MADV_WILLNEED,
                   file_label(shard, shard.ids)),
    };
    state->mapped.push_back(std::move(mapped));
    SplitIndex& split = state->splits[shard.split == ShardSplit::kTrain ? 0 : 1];
    split.shards.push_back(i);
    split.starts.push_back(split.samples);
    split.samples += shard.samples;
  }
  ShardDataset dataset(std::move(state));
  if (verify_hashes) dataset.verify_hashes();
  return dataset;
}

ShardDataset::ShardDataset(std::unique_ptr<State> state) : state_(std::move(state)) {}
ShardDataset::ShardDataset(ShardDataset&& other) noexcept = default;
ShardDataset& ShardDataset::operator=(ShardDataset&& other) noexcept = default;
ShardDataset::~ShardDataset() = default;

const ShardDataset::State& ShardDataset::state() const {
  if (!state_) throw IllegalStateError("ShardDataset used after it was moved from");
  return *state_;
}

const TokenizerInfo& ShardDataset::tokenizer() const { return state().manifest.tokenizer; }
int64_t ShardDataset::seq_len() const { return state().manifest.seq_len; }
const std::vector<ShardInfo>& ShardDataset::shards() const { return state().manifest.shards; }
int64_t ShardDataset::sample_count(ShardSplit split) const { return state().split(split).samples; }

std::vector<ShardInfo> ShardDataset::shards(ShardSplit split) const {
  std::vector<ShardInfo> out;
  for (const size_t i : state().split(split).shards) out.push_back(state().manifest.shards[i]);
  return out;
}

uint64_t ShardDataset::sample_id(ShardSplit split, int64_t index) const {
  const State& s = state();
  const auto [shard, sample] = s.locate(split, index, "sample_id");
  uint64_t id = 0;
  std::memcpy(&id, s.mapped[shard].ids.data() + sample * 8, sizeof(id));
  return id;
}

at::Tensor ShardDataset::batch(ShardSplit split, const std::vector<int64_t>& indices) const {
  const State& s = state();
  const int64_t seq_len = s.manifest.seq_len;
  const int64_t vocab_size = s.manifest.tokenizer.vocab_size;
  std::vector<std::pair<size_t, int64_t>> located;
  located.reserve(indices.size());
  for (size_t b = 0; b < indices.size(); ++b) {
    located.push_back(s.locate(split, indices[b], "indices[" + std::to_string(b) + "]"));
  }
  at::Tensor tokens_BT = at::empty({static_cast<int64_t>(indices.size()), seq_len}, at::kLong);
  int64_t* out_BT = tokens_BT.data_ptr<int64_t>();
  for (size_t b = 0; b < located.size(); ++b) {
    const auto [shard, sample] = located[b];
    const uint8_t* row_T = s.mapped[shard].tokens.data() + sample * seq_len * 4;
    int64_t* out_T = out_BT + static_cast<int64_t>(b) * seq_len;
    for (int64_t t = 0; t < seq_len; ++t) {
      uint32_t token = 0;
      std::memcpy(&token, row_T + 4 * t, sizeof(token));
      if (token >= vocab_size) {
        const ShardInfo& info = s.manifest.shards[shard];
        throw InvalidArgumentError(expected_message(
            "a token id below vocabSize " + std::to_string(vocab_size),
            "token " + std::to_string(t) + " of sample " + std::to_string(sample) + " (" + shard_split_name(split) +
                " index " + std::to_string(indices[b]) + ") in shard " + info.name + " (" + info.tokens.file + ")",
            std::to_string(token)));
      }
      out_T[t] = token;
    }
  }
  return tokens_BT;
}

void ShardDataset::verify_hashes() const {
  const State& s = state();
  for (size_t i = 0; i < s.manifest.shards.size(); ++i) {
    const ShardInfo& shard = s.manifest.shards[i];
    const std::pair<const ShardFileInfo*, const MappedFile*> files[] = {{&shard.tokens, &s.mapped[i].tokens},
                                                                        {&shard.ids, &s.mapped[i].ids}};
    for (const auto& [info, mapping] : files) {
      mapping->advise(MADV_SEQUENTIAL);
      const Blake2b256Digest actual = blake2b256(mapping->data(), static_cast<size_t>(mapping->size()));
      mapping->advise(info == &shard.tokens ? MADV_RANDOM : MADV_WILLNEED);
      if (actual != info->blake2b256) {
        throw InvalidArgumentError(expected_message("BLAKE2b-256 " + to_hex(info->blake2b256),
                                                    file_label(shard, *info) + " in " + s.directory,
                                                    "a file hashing to " + to_hex(actual)));
      }
    }
  }
}

}  // namespace cohort
