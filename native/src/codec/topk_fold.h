// Top-k over the error feedback folded on the fly (see tile_scan.h): the encoder's one pass over e and Δ.
#pragma once

#include <cstdint>

#include "cohort/codec/chunk_plan.h"

namespace cohort::codec::detail {

// select_topk over v = fma(β, e[i], Δ[i]) (v = e[i] when delta is null) without a separate fold pass.
// When out is set (it may be e), v is also written there, chunk by chunk. Returns false when some v is
// Inf or NaN (the selection is then meaningless, but nothing else is affected).
bool select_topk_fold(const float* e, const float* delta, float beta, float* out, const ChunkPlan& plan,
                      uint16_t* indices, float* values);

}  // namespace cohort::codec::detail
