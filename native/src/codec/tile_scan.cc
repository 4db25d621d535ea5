// Per-tile leaf kernels of top-k (see tile_scan.h). The AVX2 pass folds 8 values per step, keeps their
// bits, and appends the indices at or above the estimate without a branch: the comparison mask picks a
// row of kLanes (the positions of its set bits), which is widened, offset and stored whole; the count
// advances by the mask's popcount. Only functions carry the target attribute (no -mavx2 on the file), so
// nothing compiled for AVX2 can be picked by the linker for another CPU.
#include "codec/tile_scan.h"

#include <array>
#include <atomic>
#include <cmath>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define COHORT_TILE_AVX2 1
#include <immintrin.h>
#define COHORT_AVX2_TARGET __attribute__((target("avx2,fma,popcnt")))
#endif

namespace cohort::codec::detail {
namespace {

constexpr uint32_t kAbsMask = 0x7FFFFFFFU;
constexpr uint32_t kFiniteMax = 0x7F7FFFFFU;  // |v| bits above this: exponent all ones (Inf or NaN)

inline uint32_t bits_of(float v) {
  uint32_t b = 0;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

template <bool kFold>
inline float value_at(const TileSource& t, int64_t offset) {
  return kFold ? std::fma(t.beta, t.e[offset], t.delta[offset]) : t.e[offset];
}

template <bool kFold>
void sample_portable(const TileSource& t, int64_t step, uint32_t* abs) {
  int64_t r = 0;
  int64_t c = 0;
  for (int j = 0; j < 256; ++j) {
    abs[j] = bits_of(value_at<kFold>(t, r * t.stride + c)) & kAbsMask;
    for (c += step; c >= t.w; c -= t.w) ++r;  // i = j·step as (row, column) without a division
  }
}

void sample_portable_any(const TileSource& t, int64_t step, uint32_t* abs) {
  if (t.delta != nullptr) {
    sample_portable<true>(t, step, abs);
  } else {
    sample_portable<false>(t, step, abs);
  }
}

// One element of the portable scan (also the vector path's column tail).
template <bool kFold, bool kWrite, bool kCompact>
inline void scan_one(const TileSource& t, int64_t offset, uint32_t i, uint32_t estimate, uint32_t* bits,
                     uint16_t* cand, int64_t& n, uint32_t& bad) {
  const float v = value_at<kFold>(t, offset);
  if (kWrite) t.out[offset] = v;
  const uint32_t b = bits_of(v);
  bits[i] = b;
  bad |= static_cast<uint32_t>((b & kAbsMask) > kFiniteMax);
  if (kCompact) {
    cand[n] = static_cast<uint16_t>(i);
    n += static_cast<int64_t>((b & kAbsMask) >= estimate);
  }
}

template <bool kFold, bool kWrite, bool kCompact>
int64_t scan_portable(const TileSource& t, uint32_t estimate, uint32_t* bits, uint16_t* cand, uint32_t* bad) {
  int64_t n = 0;
  uint32_t b = 0;
  for (int64_t r = 0; r < t.h; ++r) {
    for (int64_t c = 0; c < t.w; ++c) {
      scan_one<kFold, kWrite, kCompact>(t, r * t.stride + c, static_cast<uint32_t>(r * t.w + c), estimate, bits,
                                        cand, n, b);
    }
  }
  *bad |= b;
  return n;
}

// Picks the instantiation for the source's mode (a write-back needs a fold); Impl<kFold, kWrite,
// kCompact>::run is the kernel.
template <template <bool, bool, bool> class Impl>
int64_t dispatch_scan(const TileSource& t, uint32_t estimate, uint32_t* bits, uint16_t* cand, uint32_t* bad,
                      const TileSource* prefetch) {
  const bool fold = t.delta != nullptr;
  const bool write = t.out != nullptr;
  if (estimate == kNoEstimate) {
    if (!fold) return Impl<false, false, false>::run(t, estimate, bits, cand, bad, prefetch);
    return write ? Impl<true, true, false>::run(t, estimate, bits, cand, bad, prefetch)
                 : Impl<true, false, false>::run(t, estimate, bits, cand, bad, prefetch);
  }
  if (!fold) return Impl<false, false, true>::run(t, estimate, bits, cand, bad, prefetch);
  return write ? Impl<true, true, true>::run(t, estimate, bits, cand, bad, prefetch)
               : Impl<true, false, true>::run(t, estimate, bits, cand, bad, prefetch);
}

template <bool kFold, bool kWrite, bool kCompact>
struct PortableScan {
  static int64_t run(const TileSource& t, uint32_t estimate, uint32_t* bits, uint16_t* cand, uint32_t* bad,
                     const TileSource* /*prefetch*/) {
    return scan_portable<kFold, kWrite, kCompact>(t, estimate, bits, cand, bad);
  }
};

int64_t scan_portable_any(const TileSource& t, uint32_t estimate, uint32_t* bits, uint16_t* cand, uint32_t* bad,
                          const TileSource* prefetch) {
  return dispatch_scan<PortableScan>(t, estimate, bits, cand, bad, prefetch);
}

constexpr TileKernels kPortable{sample_portable_any, scan_portable_any};

#if defined(COHORT_TILE_AVX2)

// kLanes[mask]: byte j = position of the j-th set bit of mask (unused bytes 0).
struct LaneTable {
  std::array<uint64_t, 256> rows{};
  constexpr LaneTable() {
    for (int mask = 0; mask < 256; ++mask) {
      uint64_t row = 0;
      int out = 0;
      for (int lane = 0; lane < 8; ++lane) {
        if ((mask >> lane) & 1) row |= static_cast<uint64_t>(lane) << (8 * out++);
      }
      rows[static_cast<size_t>(mask)] = row;
    }
  }
};
constexpr LaneTable kLanes{};

template <bool kFold>
COHORT_AVX2_TARGET void sample_avx2(const TileSource& t, int64_t step, uint32_t* abs) {
  int64_t r = 0;
  int64_t c = 0;
  for (int j = 0; j < 256; ++j) {
    const int64_t at = r * t.stride + c;
    __m128 v = _mm_load_ss(t.e + at);
    if (kFold) v = _mm_fmadd_ss(_mm_set_ss(t.beta), v, _mm_load_ss(t.delta + at));
    abs[j] = static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_castps_si128(v))) & kAbsMask;
    for (c += step; c >= t.w; c -= t.w) ++r;
  }
}

COHORT_AVX2_TARGET void sample_avx2_any(const TileSource& t, int64_t step, uint32_t* abs) {
  if (t.delta != nullptr) {
    sample_avx2<true>(t, step, abs);
  } else {
    sample_avx2<false>(t, step, abs);
  }
}

template <bool kFold, bool kWrite, bool kCompact>
struct Avx2Scan {
  COHORT_AVX2_TARGET static int64_t run(const TileSource& t, uint32_t estimate, uint32_t* bits, uint16_t* cand,
                                        uint32_t* bad, const TileSource* prefetch) {
    const __m256 beta = _mm256_set1_ps(t.beta);
    const __m256i abs_mask = _mm256_set1_epi32(static_cast<int32_t>(kAbsMask));
    const __m256i finite_max = _mm256_set1_epi32(static_cast<int32_t>(kFiniteMax));
    // |v| bits are below 2^31, so a signed compare against estimate − 1 is |v| >= estimate (estimate 0
    // becomes −1: everything passes).
    const __m256i below = _mm256_set1_epi32(static_cast<int32_t>(estimate - 1U));
    __m256i nonfinite = _mm256_setzero_si256();
    uint32_t tail_bad = 0;
    int64_t n = 0;
    // Locals, not t's fields: the vector stores may alias anything, which would reload them every step.
    const float* const e = t.e;
    const float* const delta = t.delta;
    float* const out = t.out;
    const int64_t h = t.h;
    const int64_t w = t.w;
    const int64_t stride = t.stride;
    const float* const next_e = prefetch != nullptr ? prefetch->e : nullptr;
    const float* const next_delta = prefetch != nullptr ? prefetch->delta : nullptr;
    const int64_t next_h = prefetch != nullptr ? prefetch->h : 0;
    const int64_t next_w = prefetch != nullptr ? prefetch->w : 0;
    for (int64_t r = 0; r < h; ++r) {
      const int64_t row = r * stride;
      if (r < next_h) {
        for (int64_t c = 0; c < next_w; c += 16) {
          _mm_prefetch(reinterpret_cast<const char*>(next_e + row + c), _MM_HINT_T0);
          if (kFold) _mm_prefetch(reinterpret_cast<const char*>(next_delta + row + c), _MM_HINT_T0);
        }
      }
      const auto base = static_cast<uint32_t>(r * w);
      int64_t c = 0;
      for (; c + 8 <= w; c += 8) {
        __m256 v = _mm256_loadu_ps(e + row + c);
        if (kFold) v = _mm256_fmadd_ps(beta, v, _mm256_loadu_ps(delta + row + c));
        if (kWrite) _mm256_storeu_ps(out + row + c, v);
        const __m256i b = _mm256_castps_si256(v);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(bits + base + c), b);
        const __m256i a = _mm256_and_si256(b, abs_mask);
        nonfinite = _mm256_or_si256(nonfinite, _mm256_cmpgt_epi32(a, finite_max));
        if (kCompact) {
          const __m256i pass = _mm256_cmpgt_epi32(a, below);
          const auto mask = static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(pass)));
          const auto* row_of_mask = reinterpret_cast<const __m128i*>(&kLanes.rows[mask]);
          const __m128i lanes = _mm_cvtepu8_epi16(_mm_loadl_epi64(row_of_mask));
          const __m128i at = _mm_add_epi16(lanes, _mm_set1_epi16(static_cast<int16_t>(base + c)));
          _mm_storeu_si128(reinterpret_cast<__m128i*>(cand + n), at);
          n += _mm_popcnt_u32(mask);
        }
      }
      for (; c < w; ++c) {
        scan_one<kFold, kWrite, kCompact>(t, row + c, base + static_cast<uint32_t>(c), estimate, bits, cand, n,
                                          tail_bad);
      }
    }
    *bad |= tail_bad | static_cast<uint32_t>(!_mm256_testz_si256(nonfinite, nonfinite));
    return n;
  }
};

int64_t scan_avx2_any(const TileSource& t, uint32_t estimate, uint32_t* bits, uint16_t* cand, uint32_t* bad,
                      const TileSource* prefetch) {
  return dispatch_scan<Avx2Scan>(t, estimate, bits, cand, bad, prefetch);
}

constexpr TileKernels kAvx2{sample_avx2_any, scan_avx2_any};

const TileKernels* cpu_pick() {
  __builtin_cpu_init();
  const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("popcnt");
  return ok ? &kAvx2 : &kPortable;
}

#else

const TileKernels* cpu_pick() { return &kPortable; }

#endif

std::atomic<const TileKernels*> g_forced{nullptr};

}  // namespace

const TileKernels& tile_kernels() {
  if (const TileKernels* forced = g_forced.load(std::memory_order_relaxed)) return *forced;
  static const TileKernels* const pick = cpu_pick();
  return *pick;
}

void use_portable_tile_kernels(bool portable) {
  g_forced.store(portable ? &kPortable : nullptr, std::memory_order_relaxed);
}

}  // namespace cohort::codec::detail
