// Byte-level helpers shared by the update and aggregate readers and writers: little-endian puts, a
// bounded reader that throws CodecError(TRUNCATED), and the fixed header both kinds share.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "cohort/blake2b.h"
#include "cohort/codec/wire.h"

namespace cohort::codec::detail {

// Fixed header offsets (docs/wire-format.md §4).
constexpr size_t kOffKind = 4;
constexpr size_t kOffVersion = 5;
constexpr size_t kOffFlags = 6;
constexpr size_t kOffTile = 8;
constexpr size_t kOffValueBits = 9;
constexpr size_t kOffIndexCoding = 10;
constexpr size_t kOffTopk = 12;
constexpr size_t kOffWindow = 16;
constexpr size_t kOffRunId = 24;
constexpr size_t kOffHotkey = 56;
constexpr size_t kOffModel = 88;
constexpr size_t kOffState = 120;
constexpr size_t kOffReceipt = 152;
constexpr size_t kOffTotalBytes = 184;
constexpr uint8_t kMagic[4] = {'C', 'H', 'R', 'T'};

inline void put_u8(std::vector<uint8_t>& out, uint8_t v) { out.push_back(v); }
inline void put_le(std::vector<uint8_t>& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
}
inline void put_f32(std::vector<uint8_t>& out, float v) {
  uint32_t bits = 0;
  std::memcpy(&bits, &v, 4);
  put_le(out, bits, 4);
}
inline void put_bytes(std::vector<uint8_t>& out, const uint8_t* p, size_t n) { out.insert(out.end(), p, p + n); }
// n floats as little-endian IEEE bits, in one resize (a memcpy on little-endian hosts).
inline void put_f32_array(std::vector<uint8_t>& out, const float* values, size_t n) {
  const size_t at = out.size();
  out.resize(at + 4 * n);
  uint8_t* to = out.data() + at;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (n > 0) std::memcpy(to, values, 4 * n);
#else
  for (size_t i = 0; i < n; ++i) {
    uint32_t bits = 0;
    std::memcpy(&bits, &values[i], 4);
    for (int b = 0; b < 4; ++b) to[4 * i + static_cast<size_t>(b)] = static_cast<uint8_t>(bits >> (8 * b));
  }
#endif
}
inline uint64_t get_le(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v |= static_cast<uint64_t>(p[i]) << (8 * i);
  }
  return v;
}

// The little-endian IEEE float at p (4 readable bytes).
inline float f32_at(const uint8_t* p) {
  const auto bits = static_cast<uint32_t>(get_le(p, 4));
  float v = 0;
  std::memcpy(&v, &bits, 4);
  return v;
}

// A bounded cursor over untrusted bytes.
class Cursor {
 public:
  Cursor(const uint8_t* data, size_t size, size_t pos) : data_(data), size_(size), pos_(pos) {}
  const uint8_t* take(size_t n, const char* what) {
    if (n > size_ - pos_) {
      throw CodecError(Reason::kTruncated, std::string(what) + " needs " + std::to_string(n) + " bytes at offset " +
                                               std::to_string(pos_) + ", " + std::to_string(size_ - pos_) + " left");
    }
    const uint8_t* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  uint64_t le(int bytes, const char* what) { return get_le(take(static_cast<size_t>(bytes), what), bytes); }
  float f32(const char* what) { return f32_at(take(4, what)); }
  size_t pos() const { return pos_; }
  const uint8_t* base() const { return data_; }
  size_t remaining() const { return size_ - pos_; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_;
};

// Appends the fixed header (total length patched later by finish_object).
void write_fixed_header(std::vector<uint8_t>& out, ObjectKind kind, const ObjectHeader& h, uint8_t value_bits,
                        const Bytes32& model_fp, uint8_t version = kFormatVersion);
// Patches the total length, appends the hash and a zero signature.
void finish_object(std::vector<uint8_t>& out);

// Parses and checks the fixed header and trailer hash; returns the header (model fingerprint in *model_fp).
// Versions read: 1 for updates, 1 and 2 for aggregates (the version byte is at kOffVersion).
ObjectHeader read_fixed_header(const uint8_t* data, size_t size, ObjectKind kind, uint8_t value_bits,
                               const DecodeLimits& limits, const Expectations& expect, Bytes32* model_fp,
                               Bytes32* digest);
// Parses the tensor table at the cursor; checks it against the header's and the expected fingerprint.
std::vector<TensorEntry> read_tensor_table(Cursor& cur, const DecodeLimits& limits, const Bytes32& header_model_fp,
                                           const Expectations& expect);

// Index streams (docs/wire-format.md §5).
std::vector<uint8_t> write_packed12(const std::vector<uint16_t>& indices);
// Chooses the Rice parameter minimising the stream; returns it and appends the stream.
uint8_t write_rice_chunks(const std::vector<uint16_t>& indices, const ChunkPlan& plan, std::vector<uint8_t>& out);
void read_packed12(const uint8_t* p, size_t n, const ChunkPlan& plan, const std::string& name,
                   std::vector<uint16_t>& indices);
void read_rice_chunks(const uint8_t* p, size_t n, uint8_t rice, const ChunkPlan& plan, const std::string& name,
                      std::vector<uint16_t>& indices);
// Rice stream of ascending flat indices < limit (aggregates).
uint8_t write_rice_flat(const std::vector<uint32_t>& indices, std::vector<uint8_t>& out);
void read_rice_flat(const uint8_t* p, size_t n, uint8_t rice, uint64_t limit, const std::string& name,
                    std::vector<uint32_t>& indices);

constexpr uint8_t kMaxRice = 31;

}  // namespace cohort::codec::detail
