// The error-feedback fold e ← fma(β, e, Δ) and its finiteness check, vectorised with hardware FMA where
// the CPU has it (an fma is exactly rounded either way, so the bytes do not depend on the dispatch).
#pragma once

#include <cstdint>

namespace cohort::codec::detail {

// True when every fma(β, e[i], Δ[i]) (or e[i] when delta is null) is finite.
bool fold_is_finite(const float* e, const float* delta, float beta, int64_t n);
// e[i] = fma(β, e[i], Δ[i]).
void fold_in_place(float* e, const float* delta, float beta, int64_t n);

}  // namespace cohort::codec::detail
