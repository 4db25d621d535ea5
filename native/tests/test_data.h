// Fixed-seed float32 test vectors shared by the CPU and CUDA tests: random values plus edge cases
// (signed zeros, subnormals, values whose fma overflows) at the front. No NaN or infinity inputs, whose
// NaN payloads may legitimately differ between CPU and GPU.
#pragma once

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace cohort::test {

inline std::vector<float> make_vector(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-4.0f, 4.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& value : v) {
    value = uniform(rng);
  }
  const float edges[] = {0.0f, -0.0f, std::numeric_limits<float>::denorm_min(), -1e-40f,
                         std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(), 1.0f, -1.0f};
  for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]) && i < v.size(); ++i) {
    v[i] = edges[(i + seed) % (sizeof(edges) / sizeof(edges[0]))];
  }
  return v;
}

}  // namespace cohort::test
