// Palette-coded aggregate values (see value_palette.h).
#include "codec/value_palette.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <numeric>

#include "codec/bit_io.h"
#include "cohort/codec/reason.h"

namespace cohort::codec::detail {
namespace {

// Sorts keys by their upper 32 bits (LSD radix, 8 bits a pass; a pass whose digit is the same for every
// key is skipped). `tmp` is scratch of the same size.
void radix_sort_upper(std::vector<uint64_t>& keys, std::vector<uint64_t>& tmp) {
  const size_t n = keys.size();
  for (int shift = 32; shift < 64; shift += 8) {
    std::array<size_t, 256> count{};
    for (uint64_t key : keys) ++count[(key >> shift) & 0xFF];
    if (std::any_of(count.begin(), count.end(), [n](size_t c) { return c == n; })) continue;
    std::array<size_t, 256> at{};
    std::exclusive_scan(count.begin(), count.end(), at.begin(), size_t{0});
    for (uint64_t key : keys) tmp[at[(key >> shift) & 0xFF]++] = key;
    keys.swap(tmp);
  }
}

// Stream bits for order k, given prefix[r] = uses of the ranks below r (prefix.size() = palette size + 1).
// Ranks 2^k·(2^m − 1) up to 2^k·(2^(m+1) − 1) − 1 cost 2m + k + 1 bits each.
uint64_t stream_bits(const std::vector<uint64_t>& prefix, uint8_t k) {
  const uint64_t unique = prefix.size() - 1;
  uint64_t bits = 0;
  for (uint64_t m = 0;; ++m) {
    const uint64_t lo = (uint64_t{1} << k) * ((uint64_t{1} << m) - 1);
    if (lo >= unique) break;
    const uint64_t hi = std::min(unique, 2 * lo + (uint64_t{1} << k));
    bits += (prefix[hi] - prefix[lo]) * (2 * m + k + 1);
  }
  return bits;
}

// The stream's bits from `pos` on, least significant first: at least 57 valid where the stream has them,
// zeros past its end.
uint64_t bits_at(const uint8_t* p, size_t size, uint64_t pos) {
  const size_t byte = static_cast<size_t>(pos >> 3);
  uint64_t w = 0;
  if (byte + 8 <= size) {
    std::memcpy(&w, p + byte, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
  } else {
    for (size_t i = 0; byte + i < size; ++i) w |= static_cast<uint64_t>(p[byte + i]) << (8 * i);
  }
  return w >> (pos & 7);
}

std::vector<uint64_t> prefix_of(const std::vector<uint64_t>& counts) {
  std::vector<uint64_t> prefix(counts.size() + 1, 0);
  std::partial_sum(counts.begin(), counts.end(), prefix.begin() + 1);
  return prefix;
}

}  // namespace

Palette palette_of(const float* values, size_t n, std::vector<uint32_t>* ranks) {
  Palette p;
  if (ranks != nullptr) ranks->assign(n, 0);
  if (n == 0) return p;
  std::vector<uint64_t> keys(n);
  std::vector<uint64_t> tmp(n);
  for (size_t j = 0; j < n; ++j) {
    uint32_t bits = 0;
    std::memcpy(&bits, values + j, 4);
    keys[j] = (static_cast<uint64_t>(bits) << 32) | j;
  }
  radix_sort_upper(keys, tmp);
  tmp.clear();
  tmp.shrink_to_fit();
  // Runs of one bit pattern: its first key and its length.
  std::vector<size_t> run_start;
  for (size_t j = 0; j < n; ++j) {
    if (j == 0 || (keys[j] >> 32) != (keys[j - 1] >> 32)) run_start.push_back(j);
  }
  const size_t unique = run_start.size();
  run_start.push_back(n);
  std::vector<uint32_t> order(unique);
  std::iota(order.begin(), order.end(), 0U);
  auto length = [&](uint32_t run) { return run_start[run + 1] - run_start[run]; };
  // Runs are in ascending bit order already, so a stable sort by count descending breaks ties by bits.
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return length(a) > length(b); });
  p.bits.resize(unique);
  p.counts.resize(unique);
  for (size_t r = 0; r < unique; ++r) {
    p.bits[r] = static_cast<uint32_t>(keys[run_start[order[r]]] >> 32);
    p.counts[r] = length(order[r]);
    if (ranks != nullptr) {
      for (size_t j = run_start[order[r]]; j < run_start[order[r] + 1]; ++j) {
        (*ranks)[keys[j] & 0xFFFFFFFFU] = static_cast<uint32_t>(r);
      }
    }
  }
  return p;
}

PaletteChoice choose_palette(const float* values, size_t n, std::vector<uint32_t>* ranks) {
  PaletteChoice c;
  c.palette = palette_of(values, n, ranks);
  c.order = best_golomb_order(c.palette.counts, &c.stream_bits);
  c.pays = palette_pays(c.palette.bits.size(), c.stream_bits, n);
  return c;
}

uint64_t golomb_stream_bits(const std::vector<uint64_t>& counts, uint8_t k) { return stream_bits(prefix_of(counts), k); }

uint8_t best_golomb_order(const std::vector<uint64_t>& counts, uint64_t* bits) {
  const std::vector<uint64_t> prefix = prefix_of(counts);
  uint8_t best = 0;
  uint64_t best_bits = UINT64_MAX;
  for (uint8_t k = 0; k <= kMaxGolombOrder; ++k) {
    const uint64_t b = stream_bits(prefix, k);
    if (b < best_bits) {
      best_bits = b;
      best = k;
    }
  }
  if (bits != nullptr) *bits = best_bits;
  return best;
}

void write_golomb_ranks(const std::vector<uint32_t>& ranks, uint8_t k, std::vector<uint8_t>& out) {
  BitWriter w(out);
  for (uint32_t r : ranks) {
    const uint64_t x = static_cast<uint64_t>(r) + (uint64_t{1} << k);
    const int width = 64 - __builtin_clzll(x);  // k + 1 .. 33
    w.unary(static_cast<uint32_t>(width - k - 1));
    w.write(static_cast<uint32_t>(x), width - 1);  // x without its leading one (at most 32 bits)
  }
  w.flush();
}

void read_golomb_values(const uint8_t* stream, size_t size, uint8_t k, const std::vector<float>& palette, uint32_t n,
                        const std::string& name, float* values, std::vector<uint64_t>& counts) {
  counts.assign(palette.size(), 0);
  const uint64_t total = static_cast<uint64_t>(size) * 8;
  const uint64_t bias = uint64_t{1} << k;
  const uint32_t longest_prefix = 32U - k;  // x = rank + 2^k < 2^33
  uint64_t pos = 0;
  for (uint32_t j = 0; j < n; ++j) {
    const uint64_t w = bits_at(stream, size, pos);
    const uint64_t avail = std::min<uint64_t>(57, total - std::min(total, pos));
    const auto ones = static_cast<uint32_t>(std::min<uint64_t>(__builtin_ctzll(~w | (uint64_t{1} << 63)), avail));
    if (ones > longest_prefix) {
      throw CodecError(Reason::kBadValue, name + ": a value rank code longer than any rank's at bit " + std::to_string(pos));
    }
    const uint64_t length = 2ULL * ones + k + 1;
    if (ones == avail || pos + length > total) {
      throw CodecError(Reason::kTruncated, name + ": value rank stream ends at bit " + std::to_string(total) +
                                               " inside the code at bit " + std::to_string(pos));
    }
    const uint32_t width = ones + k;  // bits after the prefix's zero (at most 32)
    const uint64_t suffix = length <= 57 ? w >> (ones + 1) : bits_at(stream, size, pos + ones + 1);
    const uint64_t low = width == 0 ? 0 : suffix & (~uint64_t{0} >> (64 - width));
    const uint64_t rank = ((uint64_t{1} << width) | low) - bias;
    if (rank >= palette.size()) {
      throw CodecError(Reason::kBadValue, name + ": value rank " + std::to_string(rank) + " in a palette of " +
                                              std::to_string(palette.size()));
    }
    values[j] = palette[rank];
    ++counts[rank];
    pos += length;
  }
  const bool padded = (pos + 7) / 8 == size && ((pos & 7) == 0 || (stream[pos >> 3] >> (pos & 7)) == 0);
  if (!padded) {
    throw CodecError(Reason::kBadPadding, name + ": value rank stream has bits after its last rank that are not zero padding");
  }
}

}  // namespace cohort::codec::detail
