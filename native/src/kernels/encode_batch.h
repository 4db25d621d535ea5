// encode_batch: the codec's whole encode with error feedback (cohort/codec/encode.h encode_with_feedback)
// for every tensor of a model in one stream-ordered sequence and one synchronization: fold e' =
// fma(β, e, Δ) and select each chunk's top-k in one pass over e and Δ, quantize every tensor
// (quantize_batch), then subtract what receivers decode from e' at the kept positions. Least DRAM traffic:
// 12 bytes per parameter (read e and Δ, write e') plus a few bytes per kept entry, which is what the
// GPU bench's bandwidth fraction is measured against (docs/codec.md).
//
// e is never written: the folded residual goes to ef_next, so a non-finite fold (reported through
// *finite) leaves the caller's state as it was; on success the caller swaps e and ef_next. Two twins
// with identical outputs: the CUDA launcher (encode_batch.cu) and the CPU reference (encode_batch_ref.cc),
// both equal, tensor by tensor, to codec::encode_with_feedback.
// Shape suffixes: _N = a tensor's flat element count; _K = the batch's total kept (slot s at kept_base).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/quantize_codes.h"
#include "kernels/tensor_slots.h"

#if defined(COHORT_HAVE_CUDA_KERNELS)
#include <cuda_runtime_api.h>
#endif

namespace cohort::kernels {

// One tensor to encode: its geometry and its buffers (device pointers for the CUDA launcher, host
// pointers for the reference). ef_next_N must not alias ef_N or delta_N.
struct EncodeTensor {
  ChunkGeometry geometry;
  const float* ef_N = nullptr;
  const float* delta_N = nullptr;
  float* ef_next_N = nullptr;
};

// CPU reference: every tensor in table order. indices_K and codes_K hold the batch's total kept entries;
// results gets one QuantResult per tensor. Returns false (outputs unspecified, ef untouched) when some
// folded value is not finite.
bool encode_batch_ref(const EncodeTensor* tensors, int count, float beta, uint16_t* indices_K, uint8_t* codes_K,
                      QuantResult* results);

#if defined(COHORT_HAVE_CUDA_KERNELS)
// Events encode_batch records on its stream after each phase, for a bench's breakdown (null: not recorded).
struct EncodeBatchMarks {
  cudaEvent_t folded = nullptr;     // after fold + top-k
  cudaEvent_t quantized = nullptr;  // after quantization
  cudaEvent_t done = nullptr;       // after the residual
};

// Device scratch encode_batch needs for these tensors (their geometries only).
size_t encode_batch_scratch_bytes(const EncodeTensor* tensors, int count);

// Runs the encode on `stream` over device buffers (tensors is a host table), then copies the results and
// the finiteness flag to the host and synchronizes the stream, once. *finite false: some folded value is
// not finite, the outputs and ef_next are unspecified and e is as it was. Returns the first CUDA error, or
// cudaErrorInvalidValue for an empty table, a null pointer or a chunk over kMaxChunkElements.
cudaError_t encode_batch(const EncodeTensor* tensors, int count, float beta, uint16_t* indices_K, uint8_t* codes_K,
                         void* scratch, cudaStream_t stream, QuantResult* results, bool* finite,
                         const EncodeBatchMarks* marks = nullptr);
#endif

}  // namespace cohort::kernels
