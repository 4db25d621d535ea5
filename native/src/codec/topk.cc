// Per-chunk top-k by magnitude with a radix threshold (see cohort/codec/topk.h). One histogram pass on
// the top bits of |v|, an exact nth_element over the (few) candidates of the threshold bucket, then one
// selecting pass in index order, so the output comes out sorted without a sort.
#include "cohort/codec/topk.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <vector>

namespace cohort::codec {
namespace {

constexpr int kBucketShift = 20;  // |v| bits 30..20: exponent and 3 mantissa bits, 2048 buckets
constexpr int kBuckets = 1 << (31 - kBucketShift);

inline uint32_t abs_bits(float v) {
  uint32_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  return bits & 0x7FFFFFFFU;
}

// Unique, totally ordered key: larger |v| first, then lower index.
inline uint64_t key_of(uint32_t abs, int64_t i) { return (static_cast<uint64_t>(abs) << 12) | (4095 - i); }

struct Scratch {
  std::array<uint16_t, kBuckets> histogram{};
  std::array<uint32_t, kMaxTileSide * kMaxTileSide> abs{};  // the chunk's |v| bits, contiguous
  std::array<uint16_t, kMaxTileSide * kMaxTileSide + 1> selected{};  // one slack slot for branch-free appends
  std::vector<uint64_t> candidates;
};

// One chunk of h rows × w columns whose rows start `stride` floats apart.
int64_t select_chunk(const float* origin, int64_t h, int64_t w, int64_t stride, int64_t k, Scratch& s,
                     uint16_t* indices, float* values) {
  const int64_t m = h * w;
  if (k >= m) {
    for (int64_t r = 0; r < h; ++r) {
      for (int64_t c = 0; c < w; ++c) {
        indices[r * w + c] = static_cast<uint16_t>(r * w + c);
        values[r * w + c] = origin[r * stride + c];
      }
    }
    return m;
  }
  // Pass 1: |v| bits into a contiguous buffer (vectorisable), then the histogram of their top bits.
  uint32_t* a = s.abs.data();
  uint32_t max_abs = 0;
  for (int64_t r = 0; r < h; ++r) {
    const float* row = origin + r * stride;
    uint32_t* out = a + r * w;
    for (int64_t c = 0; c < w; ++c) {
      out[c] = abs_bits(row[c]);
      max_abs = std::max(max_abs, out[c]);
    }
  }
  // Fast path: estimate the threshold from a strided sample, keep everything at or above it (in index
  // order), and finish with an exact selection among those candidates. Falls through to the histogram
  // when the estimate kept fewer than k (the result is the same either way: only the work differs).
  if (m >= 1024 && k * 8 <= m) {
    const int64_t step = m / 256;
    std::array<uint32_t, 256> sample{};
    for (int64_t j = 0; j < 256; ++j) sample[static_cast<size_t>(j)] = a[j * step];
    // The sample's value at k's quantile, lowered a little so the candidates very likely cover k.
    const auto rank = static_cast<size_t>(std::min<int64_t>(255, (k * 256) / m * 3 / 2 + 2));
    std::nth_element(sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(rank), sample.end(),
                     std::greater<uint32_t>());
    const uint32_t estimate = sample[rank];
    uint16_t* cand = s.selected.data();
    int64_t n = 0;
    for (int64_t i = 0; i < m; ++i) {
      cand[n] = static_cast<uint16_t>(i);
      n += static_cast<int64_t>(a[i] >= estimate);
    }
    if (n >= k) {
      s.candidates.clear();
      for (int64_t j = 0; j < n; ++j) s.candidates.push_back(key_of(a[cand[j]], cand[j]));
      std::nth_element(s.candidates.begin(), s.candidates.begin() + (k - 1), s.candidates.end(),
                       std::greater<uint64_t>());
      const uint64_t kth = s.candidates[static_cast<size_t>(k - 1)];
      int64_t out = 0;
      for (int64_t j = 0; j < n; ++j) {
        const int64_t i = cand[j];
        if (key_of(a[i], i) >= kth) {
          indices[out] = static_cast<uint16_t>(i);
          values[out] = origin[(i / w) * stride + (i % w)];
          ++out;
        }
      }
      return out;
    }
  }
  s.histogram.fill(0);
  for (int64_t i = 0; i < m; ++i) {
    ++s.histogram[a[i] >> kBucketShift];
  }
  // The bucket holding the k-th largest, searched down from the largest value's bucket: everything
  // above it is selected.
  int64_t above = 0;
  int bucket = static_cast<int>(max_abs >> kBucketShift);
  for (; bucket > 0; --bucket) {
    if (above + s.histogram[bucket] >= k) {
      break;
    }
    above += s.histogram[bucket];
  }
  const int64_t need = k - above;  // how many of the bucket's entries are selected (>= 1)
  const uint32_t lo = static_cast<uint32_t>(bucket) << kBucketShift;  // first |v| bits of the bucket
  const uint32_t hi = lo + (1U << kBucketShift);                      // first |v| bits above it
  uint64_t threshold = 0;
  if (need == s.histogram[bucket]) {
    threshold = static_cast<uint64_t>(lo) << 12;  // the whole bucket is selected
  } else {
    s.candidates.clear();
    for (int64_t i = 0; i < m; ++i) {
      if (a[i] >= lo && a[i] < hi) {
        s.candidates.push_back(key_of(a[i], i));
      }
    }
    std::nth_element(s.candidates.begin(), s.candidates.begin() + (need - 1), s.candidates.end(),
                     std::greater<uint64_t>());
    threshold = s.candidates[static_cast<size_t>(need - 1)];
  }
  // Pass 2: select in index order, branch-free appends.
  uint16_t* sel = s.selected.data();
  int64_t out = 0;
  for (int64_t i = 0; i < m; ++i) {
    sel[out] = static_cast<uint16_t>(i);
    out += static_cast<int64_t>(key_of(a[i], i) >= threshold);
  }
  for (int64_t j = 0; j < out; ++j) {
    const int64_t i = sel[j];
    indices[j] = sel[j];
    values[j] = origin[(i / w) * stride + (i % w)];
  }
  return out;
}

}  // namespace

void select_topk(const float* data, const ChunkPlan& plan, uint16_t* indices, float* values) {
  Scratch scratch;
  scratch.candidates.reserve(kMaxTileSide * kMaxTileSide);
  int64_t at = 0;
  for (int64_t ch = 0; ch < plan.chunk_count(); ++ch) {
    at += select_chunk(data + plan.chunk_origin(ch), plan.chunk_rows(ch), plan.chunk_cols(ch), plan.cols(),
                       plan.chunk_k(ch), scratch, indices + at, values + at);
  }
}

}  // namespace cohort::codec
