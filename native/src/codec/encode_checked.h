// encode_with_feedback without its finiteness pass, for a caller that already ran fold_is_finite over the
// same e, Δ and β (the engine checks every tensor before changing any buffer, so a second pass over e and
// Δ per tensor would only repeat it on the hot path).
#pragma once

#include "cohort/codec/encode.h"

namespace cohort::codec::detail {

// Precondition: fold_is_finite(ef, delta, beta, plan.numel()) is true.
EncodedTensor encode_with_feedback_checked(float* ef, const float* delta, float beta, const ChunkPlan& plan);

}  // namespace cohort::codec::detail
