// Top-k per chunk (protocol §3): the k_c entries of largest magnitude in each chunk, ties broken by the
// lower in-chunk index, emitted in ascending in-chunk index order. The order is total (|v| as the
// IEEE-754 bit pattern with the sign cleared, then index), so every implementation selects the same set.
#pragma once

#include <cstdint>

#include "cohort/codec/chunk_plan.h"

namespace cohort::codec {

// Selects top-k for every chunk of `data` (row-major, plan.numel() finite floats). Writes
// plan.total_kept() in-chunk indices and the selected values, in canonical order (chunk order, ascending
// index within a chunk).
void select_topk(const float* data, const ChunkPlan& plan, uint16_t* indices, float* values);

}  // namespace cohort::codec
