// CPU reference twin of topk_chunks_kernel (topk_chunks.cu): the exact k-th largest key by nth_element,
// then one pass in index order keeping every key at or above it (keys are unique, so exactly k_c).
// Shape suffixes: _N = flat element count; _K = geometry.total_kept().
#include "kernels/topk_chunks.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <vector>

namespace cohort::kernels {
namespace {

// Unique, totally ordered key: larger |v| bits first, then lower in-chunk index.
uint64_t key_of(float v, int64_t i) {
  uint32_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  return (static_cast<uint64_t>(bits & 0x7FFFFFFFU) << 12) | static_cast<uint64_t>(4095 - i);
}

}  // namespace

void topk_chunks_ref(const float* data_N, const ChunkGeometry& geometry, uint16_t* indices_K, float* values_K) {
  std::vector<uint64_t> keys;
  std::vector<uint64_t> order;
  for (int64_t ch = 0; ch < geometry.chunk_count(); ++ch) {
    const int64_t m = geometry.chunk_size(ch);
    const int64_t k = geometry.chunk_k(ch);
    keys.resize(static_cast<size_t>(m));
    for (int64_t i = 0; i < m; ++i) {
      keys[static_cast<size_t>(i)] = key_of(data_N[geometry.flat_index(ch, i)], i);
    }
    order = keys;
    std::nth_element(order.begin(), order.begin() + (k - 1), order.end(), std::greater<uint64_t>());
    const uint64_t threshold = order[static_cast<size_t>(k - 1)];
    int64_t out = geometry.chunk_offset(ch);
    for (int64_t i = 0; i < m; ++i) {
      if (keys[static_cast<size_t>(i)] >= threshold) {
        indices_K[out] = static_cast<uint16_t>(i);
        values_K[out] = data_N[geometry.flat_index(ch, i)];
        ++out;
      }
    }
  }
}

}  // namespace cohort::kernels
