// Parsing and validating a "cohort-shards/1" manifest.json (the format is described in cohort/shards.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/shards.h"

namespace cohort {

struct ShardManifest {
  TokenizerInfo tokenizer;
  int64_t seq_len = 0;
  std::vector<ShardInfo> shards;
};

// Validates everything that needs no other file: the format string, the tokenizer, seqLen, every shard
// entry (unique names, a known split, plain file names, byte counts equal to samples × seqLen × 4 and
// samples × 8, 64-hex-digit digests). `path` names the manifest in errors.
ShardManifest parse_shard_manifest(std::string_view text, const std::string& path);

}  // namespace cohort
