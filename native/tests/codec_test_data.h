// Test data shared by the codec's CPU-twin and CUDA tests: tied gaussians, equal magnitudes and edge
// values, plus byte-exact comparison helpers. Both suites must see the same inputs.
#pragma once

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "test_data.h"

namespace cohort::test {

// Gaussian values with forced ties: a fixed magnitude of both signs every third entry, and every seventh
// entry's neighbour the negation of it, so ties sit at every rank, the threshold included.
inline std::vector<float> tied_gaussian(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0F, 1.0F);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  for (size_t i = 0; i < v.size(); i += 3) v[i] = (i % 2 == 0) ? 2.5F : -2.5F;
  for (size_t i = 0; i + 1 < v.size(); i += 7) v[i + 1] = -v[i];
  return v;
}

// Three kinds of data per shape: tied gaussian, all magnitudes equal (every selection is a tie-break),
// and test_data.h's edge values (signed zeros, subnormals, ±FLT_MAX).
inline std::vector<std::vector<float>> datasets(int64_t n, uint32_t seed) {
  std::vector<float> equal(static_cast<size_t>(n));
  for (size_t i = 0; i < equal.size(); ++i) equal[i] = (i % 3 == 0) ? -0.75F : 0.75F;
  return {tied_gaussian(n, seed), equal, cohort::test::make_vector(n, seed)};
}

inline uint32_t bits_of(float v) {
  uint32_t b = 0;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

template <class T>
inline bool same_bytes(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

inline std::string describe(const std::vector<int64_t>& shape, int tile, int topk) {
  std::string s = "shape";
  for (const int64_t d : shape) s += " " + std::to_string(d);
  return s + ", tile " + std::to_string(tile) + ", k " + std::to_string(topk);
}

}  // namespace cohort::test
