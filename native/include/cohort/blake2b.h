// BLAKE2b (RFC 7693): the content hash of checkpoints, dataset shards and sample ids. One-shot helpers and
// an incremental hasher for streaming files far larger than memory. No libtorch: plain bytes in and out.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cohort {

using Blake2b256Digest = std::array<uint8_t, 32>;

// Incremental BLAKE2b: construct (init), update() any number of times, final() once.
class Blake2b {
 public:
  static constexpr size_t kMaxDigestLength = 64;
  static constexpr size_t kMaxKeyLength = 64;
  static constexpr size_t kBlockLength = 128;

  // digest_length in [1, 64], key_length in [0, 64] (key may be null when key_length is 0); otherwise
  // throws InvalidArgumentError.
  explicit Blake2b(size_t digest_length = kMaxDigestLength, const void* key = nullptr, size_t key_length = 0);

  // Throws IllegalStateError after final().
  void update(const void* data, size_t size);

  // The digest (digest_length() bytes). Throws IllegalStateError when called twice.
  std::vector<uint8_t> final();

  // final() for a 32-byte hasher; throws IllegalStateError when digest_length() != 32.
  Blake2b256Digest final256();

  size_t digest_length() const { return digest_length_; }

 private:
  void compress(const uint8_t* block, bool last);

  std::array<uint64_t, 8> h_{};
  std::array<uint64_t, 2> t_{};  // 128-bit byte counter, low word first
  std::array<uint8_t, kBlockLength> buffer_{};
  size_t buffered_ = 0;
  size_t digest_length_;
  bool finalized_ = false;
};

// BLAKE2b with a digest of digest_length bytes and an optional key (see Blake2b).
std::vector<uint8_t> blake2b(const void* data, size_t size, size_t digest_length, const void* key = nullptr,
                             size_t key_length = 0);

// Unkeyed BLAKE2b-256.
Blake2b256Digest blake2b256(const void* data, size_t size);

// Lowercase hex of any byte string.
std::string to_hex(const uint8_t* bytes, size_t size);
inline std::string to_hex(const Blake2b256Digest& digest) { return to_hex(digest.data(), digest.size()); }

// Parses 64 hex digits (either case) into a digest; throws InvalidArgumentError naming `what` otherwise.
Blake2b256Digest blake2b256_from_hex(std::string_view hex, std::string_view what);

}  // namespace cohort
