// file_blake2b256 (see file_hash.h).
#include "core/file_hash.h"

#include <algorithm>
#include <string>
#include <vector>

#include "cohort/errors.h"

namespace cohort::io {

namespace {
constexpr uint64_t kHashChunkBytes = 4u << 20;
}  // namespace

Blake2b256Digest file_blake2b256(const ReadOnlyFile& file, uint64_t length) {
  if (length > file.size()) {
    throw InvalidArgumentError(file.path() + ": " + expected_message("at least " + std::to_string(length) + " bytes",
                                                                     "the file", std::to_string(file.size())));
  }
  Blake2b hasher(32);
  std::vector<uint8_t> chunk(static_cast<size_t>(std::min(length, kHashChunkBytes)));
  for (uint64_t offset = 0; offset < length; offset += chunk.size()) {
    const auto n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), length - offset));
    file.read_exact(offset, chunk.data(), n);
    hasher.update(chunk.data(), n);
  }
  return hasher.final256();
}

}  // namespace cohort::io
