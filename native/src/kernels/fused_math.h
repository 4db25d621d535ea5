// Scalar helpers shared by the fused model kernels (swiglu, rope_qkv, rms_norm) and their CPU twins. Each
// fused op's per-element formula is written once, here or in its own *_math.h, and compiled for the host
// (the twin, the engine's CPU path) and for the device (the kernel): the two differ only in launch
// geometry, in the order of a row's reductions and in the last bit of the libm functions they call.
// Storage types: bf16 (below), float, double; arithmetic in math_t (fp32, or fp64 for fp64 storage).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define COHORT_HD __host__ __device__ __forceinline__
#else
#define COHORT_HD inline
#endif

namespace cohort::kernels {

// bfloat16 storage: the top 16 bits of an IEEE float32. Layout-compatible with at::BFloat16 and
// __nv_bfloat16, so tensor data pointers are reinterpreted, never converted.
struct bf16 {
  uint16_t bits;
};
static_assert(sizeof(bf16) == 2, "bf16 must be two bytes");

COHORT_HD float float_from_bits(uint32_t bits) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(bits);
#else
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
#endif
}

COHORT_HD uint32_t bits_from_float(float value) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(value);
#else
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
#endif
}

// Exact: every bf16 is a float32.
COHORT_HD float to_float(bf16 value) { return float_from_bits(static_cast<uint32_t>(value.bits) << 16); }

// Round to nearest, ties to even; NaN becomes the quiet NaN 0x7FC0. The same bits as c10::BFloat16's
// conversion and __float2bfloat16_rn, on the host and the device alike.
COHORT_HD bf16 to_bf16(float value) {
  const uint32_t bits = bits_from_float(value);
  if ((bits & 0x7fffffffU) > 0x7f800000U) return bf16{0x7fc0U};
  const uint32_t bias = 0x7fffU + ((bits >> 16) & 1U);
  return bf16{static_cast<uint16_t>((bits + bias) >> 16)};
}

// The arithmetic type for a storage type: fp32 for bf16 and float, fp64 for double.
template <typename S>
struct MathOf {
  using type = float;
};
template <>
struct MathOf<double> {
  using type = double;
};
template <typename S>
using math_t = typename MathOf<S>::type;

COHORT_HD float load(bf16 value) { return to_float(value); }
COHORT_HD float load(float value) { return value; }
COHORT_HD double load(double value) { return value; }

COHORT_HD void store(bf16& out, float value) { out = to_bf16(value); }
COHORT_HD void store(float& out, float value) { out = value; }
COHORT_HD void store(double& out, double value) { out = value; }

COHORT_HD float exp_of(float x) { return expf(x); }
COHORT_HD double exp_of(double x) { return exp(x); }
COHORT_HD float sqrt_of(float x) { return sqrtf(x); }
COHORT_HD double sqrt_of(double x) { return sqrt(x); }

}  // namespace cohort::kernels
