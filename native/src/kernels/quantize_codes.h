// quantize_codes: the codec's 2-bit quantization (protocol §3, cohort/codec/quantize.h) on plain pointers.
// shift = fp32(mean v); σ = sqrt(Σ c² / (N−1)) with c = v − shift in fp64; scale = 1.5σ (1 when zero or
// not finite); code = clamp(round_half_even(c / scale + 2), 0, 3); lookup[b] = fp32(mean of c over code b).
// Every sum has the codec's one order (fp64, sequential per chunk in index order, then the pairwise tree
// over the chunk partials, pairwise_sum.h), so the CUDA launchers (quantize_codes.cu) and the CPU reference
// (quantize_codes_ref.cc) match cohort::codec::quantize_values bit for bit: same codes, shift and lookup.
// Shape suffixes: _K = geometry.total_kept() (kept values in canonical order: chunk order, ascending
// in-chunk index, chunk ch contributing chunk_k(ch)).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/chunk_geometry.h"
#include "kernels/tensor_slots.h"

#if defined(COHORT_HAVE_CUDA_KERNELS)
#include <cuda_runtime_api.h>
#endif

namespace cohort::kernels {

constexpr int kCodeBins = 4;

// What a receiver needs to dequantize (codec::QuantParams as a plain struct): value = lookup[code] + shift.
struct QuantResult {
  float shift = 0.0F;
  float lookup[kCodeBins] = {};
};

// CPU reference: writes one code (< 4) per value. values_K must be finite.
QuantResult quantize_codes_ref(const float* values_K, const ChunkGeometry& geometry, uint8_t* codes_K);

#if defined(COHORT_HAVE_CUDA_KERNELS)
// Device scratch quantize_codes needs for this geometry (fp64 partials and counts per chunk and bin).
size_t quantize_codes_scratch_bytes(const ChunkGeometry& geometry);

// Runs the whole quantization on `stream` over device pointers (values_K in, codes_K out, `scratch` of
// quantize_codes_scratch_bytes(geometry) bytes, 8-byte aligned), then copies shift and lookup into
// *result and synchronizes the stream (the payload header needs them on the host). Returns the first
// CUDA error, or cudaErrorInvalidValue for an empty geometry or a null pointer.
cudaError_t quantize_codes(const float* values_K, const ChunkGeometry& geometry, uint8_t* codes_K, void* scratch,
                           cudaStream_t stream, QuantResult* result);

// Device scratch quantize_batch needs for `slots` tensors of `chunks` chunks in all (8-byte aligned).
size_t quantize_batch_scratch_bytes(int64_t chunks, int slots);

// The same quantization for every tensor of a laid-out slot table at once (tensor_slots.h): slots_D is
// the table in device memory, values_K and codes_K are indexed by the batch's kept numbering (slot s at
// kept_base), results_D receives one QuantResult per slot. Queues six launches whatever the slot count
// and never synchronizes; returns the first launch error, or cudaErrorInvalidValue for an empty batch.
cudaError_t quantize_batch(const float* values_K, const TensorSlot* slots_D, int slots, int64_t chunks,
                           uint8_t* codes_K, void* scratch, cudaStream_t stream, QuantResult* results_D);
#endif

}  // namespace cohort::kernels
