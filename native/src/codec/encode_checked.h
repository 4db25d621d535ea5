// encode_with_feedback without its finiteness pass, for a caller that already ran fold_is_finite over the
// same e, Δ and β (the engine checks every tensor before changing any buffer, so a second pass over e and
// Δ per tensor would only repeat it on the hot path).
#pragma once

#include "cohort/codec/encode.h"

namespace cohort::codec::detail {

// Precondition: fold_is_finite(ef, delta, beta, plan.numel()) is true.
EncodedTensor encode_with_feedback_checked(float* ef, const float* delta, float beta, const ChunkPlan& plan);

// encode_with_feedback's second pass (also timed on its own by the codec bench): row block by row block,
// e ← fma(β, e, Δ) over the block's rows (skipped when delta is null), then e ← e − dequantized value at
// the kept positions of the block's chunks.
void fold_and_subtract(float* ef, const float* delta, float beta, const ChunkPlan& plan, const EncodedTensor& t);

}  // namespace cohort::codec::detail
