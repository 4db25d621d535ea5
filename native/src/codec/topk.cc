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
  s.histogram.fill(0);
  for (int64_t r = 0; r < h; ++r) {
    const float* row = origin + r * stride;
    for (int64_t c = 0; c < w; ++c) {
      ++s.histogram[abs_bits(row[c]) >> kBucketShift];
    }
  }
  // The bucket holding the k-th largest: everything above it is selected.
  int64_t above = 0;
  int bucket = kBuckets - 1;
  for (; bucket > 0; --bucket) {
    if (above + s.histogram[bucket] >= k) {
      break;
    }
    above += s.histogram[bucket];
  }
  const int64_t need = k - above;  // how many of the bucket's entries are selected (>= 1)
  s.candidates.clear();
  for (int64_t r = 0; r < h; ++r) {
    const float* row = origin + r * stride;
    for (int64_t c = 0; c < w; ++c) {
      const uint32_t a = abs_bits(row[c]);
      if (static_cast<int>(a >> kBucketShift) == bucket) {
        s.candidates.push_back(key_of(a, r * w + c));
      }
    }
  }
  std::nth_element(s.candidates.begin(), s.candidates.begin() + (need - 1), s.candidates.end(),
                   std::greater<uint64_t>());
  const uint64_t threshold = s.candidates[static_cast<size_t>(need - 1)];
  int64_t out = 0;
  for (int64_t r = 0; r < h; ++r) {
    const float* row = origin + r * stride;
    for (int64_t c = 0; c < w; ++c) {
      const uint32_t a = abs_bits(row[c]);
      const int b = static_cast<int>(a >> kBucketShift);
      if (b > bucket || (b == bucket && key_of(a, r * w + c) >= threshold)) {
        indices[out] = static_cast<uint16_t>(r * w + c);
        values[out] = row[c];
        ++out;
      }
    }
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
