// Aggregate values as a palette (docs/wire-format.md §7, ADR 0022). An aggregate's values are means of a
// few contributors' dequantized codes, so one tensor holds few distinct fp32 values, most of them many
// times: the 4 per contributor a coordinate chosen by one peer can take dominate. Coding each value as its
// rank in a frequency-ordered palette (order-k exponential-Golomb) instead of 32 bits cuts an aggregate
// about threefold and changes no value: the palette holds the exact bit patterns.
//
// One content, one encoding: the palette order (count descending, ties by ascending bit pattern), the
// exp-Golomb order (the smallest k that minimises the stream), and the choice between palette and raw
// fp32 (palette only when strictly smaller) are all functions of the values, recomputed by readers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cohort::codec::detail {

// Largest exp-Golomb order; ranks are < 2^32, so a code's suffix is at most 31 + its prefix length bits.
constexpr uint8_t kMaxGolombOrder = 31;

// The distinct bit patterns of some values in canonical palette order, with how often each occurs.
struct Palette {
  std::vector<uint32_t> bits;
  std::vector<uint64_t> counts;
};

// The canonical palette of n values (n < 2^32). With `ranks`, also each value's rank in it. Linear time
// (radix sort); memory 16·n bytes besides the result.
Palette palette_of(const float* values, size_t n, std::vector<uint32_t>* ranks);

// Bits of the exp-Golomb stream of ranks whose counts by rank are `counts` (descending), for order k.
uint64_t golomb_stream_bits(const std::vector<uint64_t>& counts, uint8_t k);
// The canonical order: the smallest k in [0, kMaxGolombOrder] whose stream is shortest; *bits its length.
uint8_t best_golomb_order(const std::vector<uint64_t>& counts, uint64_t* bits);

// Whether a palette of `unique` values with a `stream_bits` rank stream is the canonical coding of n values:
// its section (u32 palette size, the palette, u32 stream length, the stream) is strictly smaller than the
// 4·n bytes of raw fp32.
inline bool palette_pays(uint64_t unique, uint64_t stream_bits, uint64_t n) {
  return 4 + 4 * unique + 4 + (stream_bits + 7) / 8 < 4 * n;
}

// The canonical choice for n values: their palette, its exp-Golomb order and stream length, and whether
// it pays (palette_pays). With `ranks`, also each value's rank.
struct PaletteChoice {
  Palette palette;
  uint8_t order = 0;
  uint64_t stream_bits = 0;
  bool pays = false;
};
PaletteChoice choose_palette(const float* values, size_t n, std::vector<uint32_t>* ranks);

// Appends ranks as order-k exp-Golomb codes (a byte-padded bit stream).
void write_golomb_ranks(const std::vector<uint32_t>& ranks, uint8_t k, std::vector<uint8_t>& out);

// Reads n ranks of order k from a stream of `size` bytes into values (palette[rank]); counts[r] gets each
// rank's uses. Throws CodecError: BAD_VALUE for a rank beyond the palette, TRUNCATED / BAD_PADDING for a
// stream that ends early or has bits left.
void read_golomb_values(const uint8_t* stream, size_t size, uint8_t k, const std::vector<float>& palette, uint32_t n,
                        const std::string& name, float* values, std::vector<uint64_t>& counts);

}  // namespace cohort::codec::detail
