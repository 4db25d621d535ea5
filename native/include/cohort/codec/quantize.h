// 2-bit quantization of one tensor's kept values (protocol §3, docs/wire-format.md §3): a per-tensor mean
// shift and a 4-entry codebook of bin means. Every reduction has one defined order (fp64 partial sums per
// chunk in ascending index order, then the pairwise tree of kernels/pairwise_sum.h over the chunk
// partials), so the CPU reference, the CUDA kernels and any other implementation produce the same codes
// and the same codebook bit for bit.
#pragma once

#include <array>
#include <cstdint>

#include "cohort/codec/chunk_plan.h"

namespace cohort::codec {

constexpr int kCodebookSize = 4;

// What a receiver needs to dequantize: value = lookup[code] + shift, in fp32 arithmetic.
struct QuantParams {
  float shift = 0.0F;
  std::array<float, kCodebookSize> lookup{};
};

// Dequantizes one code (< 4) exactly as every receiver does.
inline float dequantize(const QuantParams& q, uint8_t code) { return q.lookup[code] + q.shift; }

// Quantizes plan.total_kept() kept values (canonical order: chunk order, ascending in-chunk index; chunk
// ch contributes plan.chunk_k(ch)) into codes (one per value, each < 4). Values must be finite.
// shift = fp32(mean); σ = sqrt(Σ c² / (N−1)) with c = v − shift in fp64 (σ = 0 when N = 1);
// scale = 1.5σ (1 when zero or not finite); code = clamp(round_half_even(c / scale + 2), 0, 3);
// lookup[b] = fp32(mean of c over code b), 0 for an empty bin.
QuantParams quantize_values(const float* values, const ChunkPlan& plan, uint8_t* codes);

}  // namespace cohort::codec
