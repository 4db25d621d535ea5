// Vectorised error-feedback fold (see fold.h). On x86-64 GCC compiles an FMA clone next to the baseline
// one and picks it at load time (ifunc); both compute the same exactly rounded fma.
#include "codec/fold.h"

#include <cmath>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define COHORT_FMA_CLONES __attribute__((target_clones("fma", "default")))
#else
#define COHORT_FMA_CLONES
#endif

namespace cohort::codec::detail {
namespace {

inline uint32_t exponent_all_ones(float v) {
  uint32_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  return static_cast<uint32_t>((bits & 0x7F800000U) == 0x7F800000U);
}

}  // namespace

COHORT_FMA_CLONES bool fold_is_finite(const float* e, const float* delta, float beta, int64_t n) {
  uint32_t bad = 0;
  if (delta == nullptr) {
    for (int64_t i = 0; i < n; ++i) bad |= exponent_all_ones(e[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) bad |= exponent_all_ones(std::fma(beta, e[i], delta[i]));
  }
  return bad == 0;
}

COHORT_FMA_CLONES void fold_in_place(float* e, const float* delta, float beta, int64_t n) {
  for (int64_t i = 0; i < n; ++i) e[i] = std::fma(beta, e[i], delta[i]);
}

}  // namespace cohort::codec::detail
