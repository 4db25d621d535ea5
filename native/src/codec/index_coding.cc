// Index streams: packed12 (Templar-compatible pairs in 3 bytes) and Rice-coded gaps (docs/wire-format.md §5).
#include <algorithm>
#include <array>

#include "codec/bit_io.h"
#include "codec/wire_common.h"

namespace cohort::codec::detail {
namespace {

// Bits of a Rice code for gap g with parameter b.
inline uint64_t rice_bits(uint32_t g, int b) { return (g >> b) + 1 + static_cast<uint64_t>(b); }

uint8_t best_rice(const std::vector<uint32_t>& gaps) {
  int best = 0;
  uint64_t best_bits = UINT64_MAX;
  for (int b = 0; b <= kMaxRice; ++b) {
    uint64_t bits = 0;
    for (uint32_t g : gaps) {
      bits += rice_bits(g, b);
    }
    if (bits < best_bits) {
      best_bits = bits;
      best = b;
    } else {
      break;  // the cost is convex in b: past the minimum it only grows
    }
    if (gaps.empty()) {
      break;
    }
  }
  return static_cast<uint8_t>(best);
}

void write_gaps(const std::vector<uint32_t>& gaps, uint8_t b, std::vector<uint8_t>& out) {
  BitWriter w(out);
  for (uint32_t g : gaps) {
    w.unary(g >> b);
    if (b > 0) {
      w.write(g, b);
    }
  }
  w.flush();
}

// One content, one encoding: the Rice parameter must be the one the writer picks for these gaps.
void require_canonical_rice(const std::vector<uint32_t>& gaps, uint8_t rice, const std::string& name) {
  const uint8_t best = best_rice(gaps);
  if (rice != best) {
    throw CodecError(Reason::kBadPadding, name + ": Rice parameter " + std::to_string(rice) + " where the canonical encoding uses " +
                                              std::to_string(best));
  }
}

}  // namespace

std::vector<uint8_t> write_packed12(const std::vector<uint16_t>& indices) {
  std::vector<uint8_t> out;
  out.reserve(indices.size() / 2 * 3 + 2);
  size_t i = 0;
  for (; i + 1 < indices.size(); i += 2) {
    const uint32_t a = indices[i];
    const uint32_t b = indices[i + 1];
    out.push_back(static_cast<uint8_t>(a & 0xFF));
    out.push_back(static_cast<uint8_t>(((a >> 8) & 0x0F) | ((b & 0x0F) << 4)));
    out.push_back(static_cast<uint8_t>((b >> 4) & 0xFF));
  }
  if (i < indices.size()) {
    out.push_back(static_cast<uint8_t>(indices[i] & 0xFF));
    out.push_back(static_cast<uint8_t>((indices[i] >> 8) & 0x0F));
  }
  return out;
}

uint8_t write_rice_chunks(const std::vector<uint16_t>& indices, const ChunkPlan& plan, std::vector<uint8_t>& out) {
  std::vector<uint32_t> gaps;
  gaps.reserve(indices.size());
  size_t at = 0;
  for (int64_t ch = 0; ch < plan.chunk_count(); ++ch) {
    const auto k = static_cast<size_t>(plan.chunk_k(ch));
    if (!plan.chunk_dense(ch)) {
      int64_t prev = -1;
      for (size_t j = at; j < at + k; ++j) {
        gaps.push_back(static_cast<uint32_t>(indices[j] - prev - 1));
        prev = indices[j];
      }
    }
    at += k;
  }
  const uint8_t b = best_rice(gaps);
  write_gaps(gaps, b, out);
  return b;
}

void read_packed12(const uint8_t* p, size_t n, const ChunkPlan& plan, const std::string& name,
                   std::vector<uint16_t>& indices) {
  const auto total = static_cast<size_t>(plan.total_kept());
  const size_t expected = total / 2 * 3 + (total % 2 != 0 ? 2 : 0);
  if (n != expected) {
    throw CodecError(Reason::kSizeMismatch, name + ": packed12 indices take " + std::to_string(n) + " bytes, expected " +
                                                std::to_string(expected));
  }
  indices.resize(total);
  for (size_t i = 0, o = 0; i < total; i += 2, o += 3) {
    indices[i] = static_cast<uint16_t>(p[o] | ((p[o + 1] & 0x0F) << 8));
    if (i + 1 < total) {
      indices[i + 1] = static_cast<uint16_t>((p[o + 1] >> 4) | (p[o + 2] << 4));
    } else if ((p[o + 1] & 0xF0) != 0) {
      throw CodecError(Reason::kBadPadding, name + ": packed12 padding nibble is not zero");
    }
  }
  size_t at = 0;
  for (int64_t ch = 0; ch < plan.chunk_count(); ++ch) {
    const auto k = static_cast<size_t>(plan.chunk_k(ch));
    const auto m = static_cast<uint16_t>(plan.chunk_size(ch));
    for (size_t j = at; j < at + k; ++j) {
      if (indices[j] >= m) {
        throw CodecError(Reason::kIndexOutOfRange, name + ": index " + std::to_string(indices[j]) + " in chunk " +
                                                       std::to_string(ch) + " of " + std::to_string(m) + " elements");
      }
      if (j > at && indices[j] <= indices[j - 1]) {
        throw CodecError(indices[j] == indices[j - 1] ? Reason::kIndexRepeated : Reason::kIndexOrder,
                         name + ": index " + std::to_string(indices[j]) + " after " + std::to_string(indices[j - 1]) +
                             " in chunk " + std::to_string(ch));
      }
    }
    at += k;
  }
}

void read_rice_chunks(const uint8_t* p, size_t n, uint8_t rice, const ChunkPlan& plan, const std::string& name,
                      std::vector<uint16_t>& indices) {
  if (rice > kMaxRice) {
    throw CodecError(Reason::kBadCodecParams, name + ": Rice parameter " + std::to_string(rice));
  }
  indices.resize(static_cast<size_t>(plan.total_kept()));
  std::vector<uint32_t> gaps;
  BitReader r(p, n);
  size_t at = 0;
  for (int64_t ch = 0; ch < plan.chunk_count(); ++ch) {
    const int64_t k = plan.chunk_k(ch);
    const int64_t m = plan.chunk_size(ch);
    if (plan.chunk_dense(ch)) {
      for (int64_t j = 0; j < k; ++j) {
        indices[at++] = static_cast<uint16_t>(j);
      }
      continue;
    }
    int64_t prev = -1;
    for (int64_t j = 0; j < k; ++j) {
      uint32_t q = 0;
      uint32_t low = 0;
      if (!r.unary(static_cast<uint32_t>(m >> rice) + 1, q) || (rice > 0 && !r.read(rice, low))) {
        throw CodecError(r.position() >= r.size_bits() ? Reason::kTruncated : Reason::kIndexOutOfRange,
                         name + ": index stream of chunk " + std::to_string(ch) + " ends or overruns at bit " +
                             std::to_string(r.position()));
      }
      const int64_t gap = (static_cast<int64_t>(q) << rice) | low;
      const int64_t idx = prev + 1 + gap;
      if (idx >= m) {
        throw CodecError(Reason::kIndexOutOfRange, name + ": index " + std::to_string(idx) + " in chunk " +
                                                       std::to_string(ch) + " of " + std::to_string(m) + " elements");
      }
      indices[at++] = static_cast<uint16_t>(idx);
      gaps.push_back(static_cast<uint32_t>(gap));
      prev = idx;
    }
  }
  if (!r.at_canonical_end()) {
    throw CodecError(Reason::kBadPadding, name + ": index stream has " + std::to_string(n * 8 - r.position()) +
                                              " bits after its last index that are not zero padding");
  }
  require_canonical_rice(gaps, rice, name);
}

uint8_t write_rice_flat(const std::vector<uint32_t>& indices, std::vector<uint8_t>& out) {
  std::vector<uint32_t> gaps(indices.size());
  int64_t prev = -1;
  for (size_t i = 0; i < indices.size(); ++i) {
    gaps[i] = static_cast<uint32_t>(indices[i] - prev - 1);
    prev = indices[i];
  }
  const uint8_t b = best_rice(gaps);
  write_gaps(gaps, b, out);
  return b;
}

void read_rice_flat(const uint8_t* p, size_t n, uint8_t rice, uint64_t limit, const std::string& name,
                    std::vector<uint32_t>& indices) {
  if (rice > kMaxRice) {
    throw CodecError(Reason::kBadCodecParams, name + ": Rice parameter " + std::to_string(rice));
  }
  BitReader r(p, n);
  std::vector<uint32_t> gaps;
  gaps.reserve(indices.size());
  int64_t prev = -1;
  for (uint32_t& slot : indices) {
    uint32_t q = 0;
    uint32_t low = 0;
    if (!r.unary(static_cast<uint32_t>(std::min<uint64_t>(limit >> rice, 0xFFFFFFFEULL)) + 1, q) || (rice > 0 && !r.read(rice, low))) {
      throw CodecError(r.position() >= r.size_bits() ? Reason::kTruncated : Reason::kIndexOutOfRange,
                       name + ": index stream ends or overruns at bit " + std::to_string(r.position()));
    }
    const int64_t idx = prev + 1 + ((static_cast<int64_t>(q) << rice) | low);
    if (idx < 0 || static_cast<uint64_t>(idx) >= limit) {
      throw CodecError(Reason::kIndexOutOfRange, name + ": index " + std::to_string(idx) + " of " + std::to_string(limit));
    }
    slot = static_cast<uint32_t>(idx);
    gaps.push_back(static_cast<uint32_t>(idx - prev - 1));
    prev = idx;
  }
  if (!r.at_canonical_end()) {
    throw CodecError(Reason::kBadPadding, name + ": index stream has bits after its last index that are not zero padding");
  }
  require_canonical_rice(gaps, rice, name);
}

}  // namespace cohort::codec::detail
