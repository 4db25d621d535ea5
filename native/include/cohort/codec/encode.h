// The miner's side of SparseLoCo (protocol §3): fold the pseudo-gradient into the error-feedback buffer,
// pick the top-k per chunk, quantize to 2 bits, and leave in the buffer exactly what the receivers will
// not see (sparsification and quantization error).
#pragma once

#include <cstdint>
#include <vector>

#include "cohort/codec/chunk_plan.h"
#include "cohort/codec/quantize.h"

namespace cohort::codec {

// One tensor's payload content, canonical order (chunk order, ascending in-chunk index).
struct EncodedTensor {
  QuantParams quant;
  std::vector<uint16_t> indices;  // in-chunk indices, plan.total_kept() of them
  std::vector<uint8_t> codes;     // one 2-bit code per index
};

// e ← fma(β, e, Δ) (skipped when delta is null), then encode e, then e ← e − decode(payload) at the kept
// positions. `ef` holds plan.numel() floats (row-major) and is updated in place. Throws
// InvalidArgumentError (and leaves `ef` as it was) when any value of e would be non-finite.
EncodedTensor encode_with_feedback(float* ef, const float* delta, float beta, const ChunkPlan& plan);

// Encodes `data` as is (no error feedback, nothing written back).
EncodedTensor encode_tensor(const float* data, const ChunkPlan& plan);

// Scatters a decoded tensor into a dense row-major buffer (plan.numel() floats): out[flat] += scale·value
// for every kept entry (fp32 fma), leaving other positions untouched.
void scatter_add(const EncodedTensor& t, const ChunkPlan& plan, float scale, float* out);

}  // namespace cohort::codec
