// Per-chunk top-k by magnitude (see cohort/codec/topk.h). For a chunk with k well below its size: the
// value at a fixed rank of a 256-entry strided sample estimates the threshold (lowered so the candidates
// very likely cover k); one pass over the chunk (tile_scan.h) keeps every entry at or above it in index
// order; an exact nth_element among those candidates finds the k-th key, and a last pass over the
// candidates emits the selection, already sorted. When the estimate kept fewer than k, or the chunk is
// small, a histogram on the top bits of |v| finds the threshold bucket instead. Every path computes the
// same set (the k largest keys of a total order), so only the work depends on the estimate.
#include "cohort/codec/topk.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

#include "codec/tile_scan.h"
#include "codec/topk_fold.h"

namespace cohort::codec {
namespace {

using detail::kNoEstimate;
using detail::TileKernels;
using detail::TileSource;

constexpr int kBucketShift = 20;  // |v| bits 30..20: exponent and 3 mantissa bits, 2048 buckets
constexpr int kBuckets = 1 << (31 - kBucketShift);
constexpr int kMaxChunk = kMaxTileSide * kMaxTileSide;
constexpr uint32_t kAbsMask = 0x7FFFFFFFU;

// Unique, totally ordered key: larger |v| first, then lower index.
inline uint64_t key_of(uint32_t bits, int64_t i) {
  return (static_cast<uint64_t>(bits & kAbsMask) << 12) | static_cast<uint64_t>(4095 - i);
}

inline float float_of(uint32_t bits) {
  float v = 0;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

struct Scratch {
  std::array<uint16_t, kBuckets> histogram{};
  std::array<uint32_t, kMaxChunk> bits{};      // the chunk's values as bit patterns, index order
  std::array<uint16_t, kMaxChunk + 16> cand{};  // candidate indices; slack for whole-group vector stores
  std::array<uint16_t, kMaxChunk + 1> picked{};  // one slack slot for branch-free appends
  std::array<uint32_t, 256> sample{};
  std::vector<uint64_t> keys;
};

// The value at `rank` (0 = largest) of the 256 samples. Small ranks keep a sorted top list, which
// rarely changes after the first few entries; larger ones use nth_element.
uint32_t sample_rank(std::array<uint32_t, 256>& s, size_t rank) {
  if (rank >= 24) {
    std::nth_element(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(rank), s.end(), std::greater<uint32_t>());
    return s[rank];
  }
  std::array<uint32_t, 24> top{};
  const size_t count = rank + 1;
  for (size_t j = 0; j < count; ++j) {
    size_t p = j;
    for (; p > 0 && top[p - 1] < s[j]; --p) top[p] = top[p - 1];
    top[p] = s[j];
  }
  for (size_t j = count; j < s.size(); ++j) {
    const uint32_t x = s[j];
    if (x <= top[rank]) continue;
    size_t p = rank;
    for (; p > 0 && top[p - 1] < x; --p) top[p] = top[p - 1];
    top[p] = x;
  }
  return top[rank];
}

// Emits, in index order, the entries among `from` (n ascending indices) whose key is >= threshold.
int64_t emit(const uint16_t* from, int64_t n, uint64_t threshold, Scratch& s, uint16_t* indices, float* values) {
  uint16_t* sel = s.picked.data();
  int64_t out = 0;
  for (int64_t j = 0; j < n; ++j) {
    sel[out] = from[j];
    out += static_cast<int64_t>(key_of(s.bits[from[j]], from[j]) >= threshold);
  }
  for (int64_t j = 0; j < out; ++j) {
    indices[j] = sel[j];
    values[j] = float_of(s.bits[sel[j]]);
  }
  return out;
}

// The top k among n candidates (ascending indices that include the chunk's top k).
int64_t finish_candidates(int64_t n, int64_t k, Scratch& s, uint16_t* indices, float* values) {
  s.keys.clear();
  for (int64_t j = 0; j < n; ++j) s.keys.push_back(key_of(s.bits[s.cand[j]], s.cand[j]));
  std::nth_element(s.keys.begin(), s.keys.begin() + (k - 1), s.keys.end(), std::greater<uint64_t>());
  return emit(s.cand.data(), n, s.keys[static_cast<size_t>(k - 1)], s, indices, values);
}

// The top k of all m entries, threshold from a histogram of |v| bits 30..20.
int64_t select_by_histogram(int64_t m, int64_t k, Scratch& s, uint16_t* indices, float* values) {
  const uint32_t* bits = s.bits.data();
  s.histogram.fill(0);
  uint32_t max_abs = 0;
  for (int64_t i = 0; i < m; ++i) {
    const uint32_t a = bits[i] & kAbsMask;
    ++s.histogram[a >> kBucketShift];
    max_abs = std::max(max_abs, a);
  }
  // The bucket holding the k-th largest, searched down from the largest value's bucket: everything
  // above it is selected.
  int64_t above = 0;
  int bucket = static_cast<int>(max_abs >> kBucketShift);
  for (; bucket > 0; --bucket) {
    if (above + s.histogram[bucket] >= k) break;
    above += s.histogram[bucket];
  }
  const int64_t need = k - above;  // how many of the bucket's entries are selected (>= 1)
  const uint32_t lo = static_cast<uint32_t>(bucket) << kBucketShift;  // first |v| bits of the bucket
  const uint32_t hi = lo + (1U << kBucketShift);                      // first |v| bits above it
  uint64_t threshold = 0;
  if (need == s.histogram[bucket]) {
    threshold = static_cast<uint64_t>(lo) << 12;  // the whole bucket is selected
  } else {
    s.keys.clear();
    for (int64_t i = 0; i < m; ++i) {
      const uint32_t a = bits[i] & kAbsMask;
      if (a >= lo && a < hi) s.keys.push_back(key_of(a, i));
    }
    std::nth_element(s.keys.begin(), s.keys.begin() + (need - 1), s.keys.end(), std::greater<uint64_t>());
    threshold = s.keys[static_cast<size_t>(need - 1)];
  }
  for (int64_t i = 0; i < m; ++i) s.cand[static_cast<size_t>(i)] = static_cast<uint16_t>(i);
  return emit(s.cand.data(), m, threshold, s, indices, values);
}

int64_t select_chunk(const TileKernels& kern, const TileSource& t, const TileSource* next, int64_t k, Scratch& s,
                     uint32_t* bad, uint16_t* indices, float* values) {
  const int64_t m = t.h * t.w;
  if (k >= m) {
    kern.scan(t, kNoEstimate, s.bits.data(), s.cand.data(), bad, next);
    for (int64_t i = 0; i < m; ++i) {
      indices[i] = static_cast<uint16_t>(i);
      values[i] = float_of(s.bits[static_cast<size_t>(i)]);
    }
    return m;
  }
  if (m >= 1024 && k * 8 <= m) {
    kern.sample(t, m / 256, s.sample.data());
    // The sample's value at k's quantile, lowered a little so the candidates very likely cover k.
    const auto rank = static_cast<size_t>(std::min<int64_t>(255, (k * 256) / m * 3 / 2 + 2));
    const uint32_t estimate = sample_rank(s.sample, rank);
    const int64_t n = kern.scan(t, estimate, s.bits.data(), s.cand.data(), bad, next);
    if (n >= k) return finish_candidates(n, k, s, indices, values);
  } else {
    kern.scan(t, kNoEstimate, s.bits.data(), s.cand.data(), bad, next);
  }
  return select_by_histogram(m, k, s, indices, values);
}

}  // namespace

bool detail::select_topk_fold(const float* e, const float* delta, float beta, float* out, const ChunkPlan& plan,
                              uint16_t* indices, float* values) {
  const TileKernels& kern = detail::tile_kernels();
  const auto tile = [&](int64_t ch) {
    const int64_t at = plan.chunk_origin(ch);
    TileSource t;
    t.e = e + at;
    t.delta = delta != nullptr ? delta + at : nullptr;
    t.beta = beta;
    t.out = out != nullptr ? out + at : nullptr;
    t.h = plan.chunk_rows(ch);
    t.w = plan.chunk_cols(ch);
    t.stride = plan.cols();
    return t;
  };
  const auto scratch = std::make_unique<Scratch>();
  scratch->keys.reserve(kMaxChunk);
  uint32_t bad = 0;
  int64_t at = 0;
  TileSource current = tile(0);
  for (int64_t ch = 0; ch < plan.chunk_count(); ++ch) {
    const bool last = ch + 1 == plan.chunk_count();
    const TileSource next = last ? TileSource{} : tile(ch + 1);
    at += select_chunk(kern, current, last ? nullptr : &next, plan.chunk_k(ch), *scratch, &bad, indices + at,
                       values + at);
    current = next;
  }
  return bad == 0;
}

void select_topk(const float* data, const ChunkPlan& plan, uint16_t* indices, float* values) {
  (void)detail::select_topk_fold(data, nullptr, 1.0F, nullptr, plan, indices, values);
}

}  // namespace cohort::codec
