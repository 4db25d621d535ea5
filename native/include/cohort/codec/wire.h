// The cohort wire format for updates ('U', version 1) and aggregates ('A', version 2; version 1 still read):
// docs/wire-format.md is the normative
// description; this header is its C++ face. Writers produce the one canonical encoding; readers accept
// only that encoding and reject everything else with a CodecError carrying a stable reason.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cohort/codec/chunk_plan.h"
#include "cohort/codec/encode.h"
#include "cohort/codec/reason.h"

namespace cohort::codec {

using Bytes32 = std::array<uint8_t, 32>;

// Updates are version 1. Aggregates are written as version 2 (values may be palette-coded, §7) and read
// as version 1 or 2.
constexpr uint8_t kFormatVersion = 1;
constexpr uint8_t kAggregateFormatVersion = 2;
constexpr size_t kFixedHeaderBytes = 192;
constexpr size_t kHashBytes = 32;
constexpr size_t kSignatureBytes = 64;
constexpr size_t kTrailerBytes = kHashBytes + kSignatureBytes;
constexpr size_t kMaxRunIdBytes = 32;
constexpr size_t kMaxTensorNameBytes = 256;

enum class ObjectKind : uint8_t { kUpdate = 'U', kAggregate = 'A' };
enum class IndexCoding : uint8_t { kPacked12 = 0, kRice = 1 };
// The parameter's dtype in the model (what the update is eventually applied to); the payload's values are
// always 2-bit codes (updates) or fp32 (aggregates).
enum class DType : uint8_t { kF32 = 0, kBF16 = 1, kF16 = 2 };

// Codec parameters carried in every header.
struct CodecParams {
  int tile_side = 64;
  int topk = 64;
  IndexCoding index_coding = IndexCoding::kRice;
};

// One tensor of the model in canonical order.
struct TensorEntry {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
};

// The tensor table's canonical bytes (u32 count, then per tensor u16 name length, name, u8 dtype, u8 rank,
// u32 per dimension), whose BLAKE2b-256 is the model fingerprint.
std::vector<uint8_t> encode_tensor_table(const std::vector<TensorEntry>& table);
Bytes32 model_fingerprint(const std::vector<TensorEntry>& table);

// Header fields common to both kinds (the model fingerprint is derived from the table).
struct ObjectHeader {
  std::string run_id;
  uint64_t window = 0;
  Bytes32 hotkey{};             // signer's sr25519 public key (miner for updates, aggregator for aggregates)
  Bytes32 state_fingerprint{};  // fingerprint of θ_w the update was computed from (aggregates: θ_w too)
  Bytes32 data_receipt{};       // updates: data receipt; aggregates: zero
  CodecParams codec;
};

// Writes an update object (trailer hash filled in, signature zero: sign_digest() then set_signature()).
// Throws InvalidArgumentError when tensors disagree with the table or the codec parameters.
std::vector<uint8_t> write_update(const ObjectHeader& header, const std::vector<TensorEntry>& table,
                                  const std::vector<EncodedTensor>& tensors);

// The 32-byte digest a signer signs: the BLAKE2b-256 trailer of a complete object.
Bytes32 object_digest(const std::vector<uint8_t>& object);
// Copies a 64-byte signature into the object's trailer.
void set_signature(std::vector<uint8_t>& object, const std::array<uint8_t, kSignatureBytes>& signature);

// Receiver-side caps and expectations. Empty optionals are not checked.
struct DecodeLimits {
  uint64_t max_bytes = uint64_t{1} << 30;
  uint32_t max_tensors = 4096;
  uint64_t max_elements = uint64_t{1} << 37;  // Σ numel over the table
  float max_abs_value = 1.0e4F;               // |shift|, |lookup|, |aggregate value|
};
struct Expectations {
  std::optional<std::string> run_id;
  std::optional<uint64_t> window;
  std::optional<Bytes32> hotkey;
  std::optional<Bytes32> model_fingerprint;
};

struct DecodedTensor {
  TensorEntry entry;
  EncodedTensor data;
};

struct DecodedUpdate {
  ObjectHeader header;
  Bytes32 model_fingerprint{};
  Bytes32 digest{};
  std::array<uint8_t, kSignatureBytes> signature{};
  std::vector<DecodedTensor> tensors;
  uint64_t kept_values = 0;
};

// Parses and validates an update; throws CodecError (reason + detail) on anything non-canonical.
// Never allocates more than a bounded multiple of `size` (itself capped by limits.max_bytes).
DecodedUpdate decode_update(const uint8_t* data, size_t size, const DecodeLimits& limits,
                            const Expectations& expect);

}  // namespace cohort::codec
