// Token shards ("cohort-shards/1"): datasets written here byte by byte (ids and hashes from our BLAKE2b,
// the sample-id definition pinned by a digest from Python's hashlib) and read back through the mapping:
// exact batches and ids, hash verification, and the ways a dataset can be corrupt or hostile.
// Shape suffixes: B = batch size, T = seqLen.
#include <ATen/ATen.h>
#include <ftw.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

#include "cohort/blake2b.h"
#include "cohort/errors.h"
#include "cohort/shards.h"
#include "test_files.h"
#include "test_harness.h"

namespace {

using cohort::ShardDataset;
using cohort::ShardSplit;

constexpr int64_t kSeqLen = 8;
constexpr int64_t kVocab = 50257;

using cohort::test::TempDir;

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("test setup: \"" + from + "\" not found");
  return text.replace(at, from.size(), to);
}

struct TestShard {
  std::string name;
  std::string split;
  std::vector<uint32_t> tokens;  // samples × kSeqLen
};

// Deterministic tokens below kVocab (an LCG).
std::vector<uint32_t> make_tokens(int64_t samples, uint32_t seed) {
  std::vector<uint32_t> tokens(static_cast<size_t>(samples * kSeqLen));
  uint64_t state = seed;
  for (uint32_t& token : tokens) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    token = static_cast<uint32_t>((state >> 33) % kVocab);
  }
  return tokens;
}

std::string file_entry(const std::string& file, const std::string& bytes) {
  return R"({"file":")" + file + R"(","bytes":)" + std::to_string(bytes.size()) + R"(,"blake2b256":")" +
         cohort::to_hex(cohort::blake2b256(bytes.data(), bytes.size())) + "\"}";
}

// Writes the shard files and returns the manifest text (not yet written).
std::string write_shards(const TempDir& dir, const std::vector<TestShard>& shards, int64_t vocab = kVocab) {
  std::string list;
  for (const TestShard& shard : shards) {
    const int64_t samples = static_cast<int64_t>(shard.tokens.size()) / kSeqLen;
    const std::string tokens(reinterpret_cast<const char*>(shard.tokens.data()), shard.tokens.size() * 4);
    std::string ids;
    for (int64_t s = 0; s < samples; ++s) {
      const cohort::Blake2b256Digest digest = cohort::blake2b256(tokens.data() + s * kSeqLen * 4, kSeqLen * 4);
      ids.append(reinterpret_cast<const char*>(digest.data()), 8);  // the first 8 bytes, LE
    }
    write_bytes(dir.file(shard.name + ".tokens"), tokens);
    write_bytes(dir.file(shard.name + ".ids"), ids);
    list += std::string(list.empty() ? "" : ",") + R"({"name":")" + shard.name + R"(","split":")" + shard.split +
            R"(","samples":)" + std::to_string(samples) + R"(,"tokens":)" + file_entry(shard.name + ".tokens", tokens) +
            R"(,"ids":)" + file_entry(shard.name + ".ids", ids) + "}";
  }
  return R"({"format":"cohort-shards/1","tokenizer":{"name":"gpt2","package":"gpt-tokenizer@2.9.0","vocabSize":)" +
         std::to_string(vocab) + R"(,"eosToken":)" + std::to_string(vocab - 1) + R"(},"seqLen":)" +
         std::to_string(kSeqLen) + R"(,"source":{"dataset":"test","note":[1,{"x":null}]},"shards":[)" + list + "]}";
}

std::string open_path(const TempDir& dir, const std::string& manifest) {
  write_bytes(dir.file("manifest.json"), manifest);
  return dir.file("manifest.json");
}

std::vector<TestShard> three_shards() {
  return {{"train-00000", "train", make_tokens(3, 1)},
          {"heldout-00000", "heldout", make_tokens(2, 2)},
          {"train-00001", "train", make_tokens(2, 3)}};
}

}  // namespace

// The id definition, pinned: Python's int.from_bytes(blake2b(pack('<8I', *range(8)), digest_size=32)
// .digest()[:8], 'little').
COHORT_TEST(sample_id_matches_the_reference_definition) {
  const uint32_t tokens_T[kSeqLen] = {0, 1, 2, 3, 4, 5, 6, 7};
  REQUIRE_EQ(cohort::sample_id_of_tokens(tokens_T, kSeqLen), uint64_t{16025920781322594006ULL});
}

COHORT_TEST(shards_read_batches_and_ids_exactly) {
  const TempDir dir;
  const std::vector<TestShard> shards = three_shards();
  const ShardDataset dataset = ShardDataset::open(open_path(dir, write_shards(dir, shards)), /*verify_hashes=*/true);
  REQUIRE_EQ(dataset.seq_len(), kSeqLen);
  REQUIRE_EQ(dataset.tokenizer().name, std::string("gpt2"));
  REQUIRE_EQ(dataset.tokenizer().package, std::string("gpt-tokenizer@2.9.0"));
  REQUIRE_EQ(dataset.tokenizer().vocab_size, kVocab);
  REQUIRE_EQ(dataset.tokenizer().eos_token, int64_t{50256});
  REQUIRE_EQ(dataset.shards().size(), size_t{3});
  REQUIRE_EQ(dataset.sample_count(ShardSplit::kTrain), int64_t{5});
  REQUIRE_EQ(dataset.sample_count(ShardSplit::kHeldout), int64_t{2});
  const std::vector<cohort::ShardInfo> train = dataset.shards(ShardSplit::kTrain);
  REQUIRE(train.size() == 2 && train[0].name == "train-00000" && train[1].name == "train-00001");
  // Split-wide numbering: train 0..2 in train-00000, 3..4 in train-00001.
  const std::vector<int64_t> indices = {4, 0, 2, 4, 3};
  const at::Tensor tokens_BT = dataset.batch(ShardSplit::kTrain, indices);
  REQUIRE(tokens_BT.scalar_type() == at::kLong);
  REQUIRE(tokens_BT.sizes() == at::IntArrayRef({5, kSeqLen}));
  for (size_t b = 0; b < indices.size(); ++b) {
    const TestShard& shard = indices[b] < 3 ? shards[0] : shards[2];
    const int64_t sample = indices[b] < 3 ? indices[b] : indices[b] - 3;
    const uint32_t* expected_T = shard.tokens.data() + sample * kSeqLen;
    for (int64_t t = 0; t < kSeqLen; ++t) {
      REQUIRE_EQ(tokens_BT[static_cast<int64_t>(b)][t].item<int64_t>(), static_cast<int64_t>(expected_T[t]));
    }
    REQUIRE_EQ(dataset.sample_id(ShardSplit::kTrain, indices[b]), cohort::sample_id_of_tokens(expected_T, kSeqLen));
  }
  const at::Tensor heldout_BT = dataset.batch(ShardSplit::kHeldout, {1});
  REQUIRE_EQ(heldout_BT[0][kSeqLen - 1].item<int64_t>(), static_cast<int64_t>(shards[1].tokens[2 * kSeqLen - 1]));
  REQUIRE(dataset.batch(ShardSplit::kTrain, {}).sizes() == at::IntArrayRef({0, kSeqLen}));
}

COHORT_TEST(shards_verify_hashes_detects_a_flipped_token_byte) {
  const TempDir dir;
  const std::string manifest = open_path(dir, write_shards(dir, three_shards()));
  std::string tokens = read_bytes(dir.file("train-00001.tokens"));
  tokens[5] = static_cast<char>(tokens[5] ^ 0x01);  // still a valid token id
  write_bytes(dir.file("train-00001.tokens"), tokens);
  const ShardDataset dataset = ShardDataset::open(manifest);  // sizes still match
  REQUIRE_EQ(dataset.batch(ShardSplit::kTrain, {3}).size(0), int64_t{1});
  REQUIRE_INVALID(dataset.verify_hashes(), "train-00001.tokens of shard train-00001", "hashing to");
  REQUIRE_INVALID(ShardDataset::open(manifest, true), "train-00001.tokens of shard train-00001");
}

COHORT_TEST(shards_batch_rejects_bad_tokens_and_indices) {
  const TempDir dir;
  std::vector<uint32_t> tokens = make_tokens(3, 4);
  for (uint32_t& token : tokens) token %= 1000;
  tokens[1 * kSeqLen + 3] = 5000;
  const ShardDataset dataset =
      ShardDataset::open(open_path(dir, write_shards(dir, {{"train-00000", "train", tokens}}, 1000)), true);
  REQUIRE_EQ(dataset.batch(ShardSplit::kTrain, {0, 2}).size(0), int64_t{2});
  REQUIRE_INVALID(dataset.batch(ShardSplit::kTrain, {0, 1}), "Expected a token id below vocabSize 1000",
                  "token 3 of sample 1", "shard train-00000 (train-00000.tokens)", "received 5000");
  REQUIRE_INVALID(dataset.batch(ShardSplit::kTrain, {0, 3}),
                  "Expected a sample index in [0, 3) for indices[1] of split train but received 3");
  REQUIRE_INVALID(dataset.batch(ShardSplit::kTrain, {-1}), "received -1");
  REQUIRE_INVALID(dataset.batch(ShardSplit::kHeldout, {0}), "[0, 0)", "split heldout");
  REQUIRE_INVALID(dataset.sample_id(ShardSplit::kTrain, 3), "for sample_id of split train");
}

COHORT_TEST(shards_reject_bad_files_and_manifests) {
  const TempDir dir;
  const std::string good = write_shards(dir, three_shards());
  const auto open = [&](const std::string& manifest) { return ShardDataset::open(open_path(dir, manifest)); };
  const std::string tokens = read_bytes(dir.file("heldout-00000.tokens"));
  write_bytes(dir.file("heldout-00000.tokens"), tokens.substr(0, tokens.size() - 4));
  REQUIRE_INVALID(open(good), "Expected 64 bytes for heldout-00000.tokens of shard heldout-00000",
                  "but received 60 bytes");
  write_bytes(dir.file("heldout-00000.tokens"), tokens);
  REQUIRE_INVALID(open(replace_once(good, "\"train-00001.ids\"", "\"../train-00001.ids\"")),
                  "plain file name", "shards[2].ids.file in", "\"../train-00001.ids\"");
  REQUIRE_INVALID(open(replace_once(good, "\"train-00001.ids\"", "\"sub/train-00001.ids\"")), "plain file name");
  REQUIRE_INVALID(open(replace_once(good, "\"train-00001.ids\"", "\"..\"")), "plain file name");
  REQUIRE_INVALID(open(replace_once(good, "cohort-shards/1", "cohort-shards/2")),
                  "Expected \"cohort-shards/1\" for format in", "\"cohort-shards/2\"");
  REQUIRE_INVALID(open(replace_once(good, "\"bytes\":96", "\"bytes\":100")), "shards[0].tokens.bytes",
                  "Expected 96 (samples × seqLen × 4)");
  REQUIRE_INVALID(open(replace_once(good, "\"split\":\"heldout\"", "\"split\":\"test\"")), "shards[1].split");
  REQUIRE_INVALID(open(replace_once(good, "\"name\":\"train-00001\"", "\"name\":\"train-00000\"")),
                  "a unique shard name");
  REQUIRE_INVALID(open(replace_once(good, "\"blake2b256\":\"", "\"blake2b256\":\"zz")), "shards[0].tokens.blake2b256");
  REQUIRE_INVALID(open(replace_once(good, "\"eosToken\":50256", "\"eosToken\":50257")), "tokenizer.eosToken");
  REQUIRE_INVALID(open(replace_once(good, "\"seqLen\":8", "\"seqLen\":0")), "seqLen in");
  REQUIRE_INVALID(open(replace_once(good, "\"samples\":3", "\"samples\":-3")), "shards[0].samples");
  REQUIRE_INVALID(open(good.substr(0, good.size() - 1)), "manifest.json: invalid JSON at byte");
  REQUIRE_INVALID(ShardDataset::open(dir.file("absent/manifest.json")), "No such file");
  REQUIRE_EQ(open(good).sample_count(ShardSplit::kTrain), int64_t{5});
}

COHORT_TEST(shards_dataset_moves_and_refuses_use_after_move) {
  const TempDir dir;
  ShardDataset first = ShardDataset::open(open_path(dir, write_shards(dir, three_shards())));
  ShardDataset second = std::move(first);
  REQUIRE_EQ(second.sample_count(ShardSplit::kHeldout), int64_t{2});
  // Deliberate use after move: the contract under test.
  REQUIRE_THROWS_AS(first.sample_count(ShardSplit::kTrain), cohort::IllegalStateError);
  first = std::move(second);
  REQUIRE_EQ(first.batch(ShardSplit::kTrain, {4}).size(1), kSeqLen);
  REQUIRE_EQ(std::string(cohort::shard_split_name(cohort::parse_shard_split("heldout"))), std::string("heldout"));
  REQUIRE_THROWS_AS(cohort::parse_shard_split("test"), cohort::InvalidArgumentError);
}

int main() { return cohort::test::run_all(); }
