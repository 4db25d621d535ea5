// The encode of a whole model on a CUDA device (ADR 0020): the codec's tensor table handed to
// kernels::encode_batch, its results split back into the codec's per-tensor EncodedTensor, equal bit for
// bit to codec::encode_with_feedback on the same e and Δ. No libtorch here (plain device pointers and the
// CUDA runtime), so CI runs it against the SIMT emulator (native_simt_kernels_tests); the engine's
// ErrorFeedback calls it when e lives on the GPU.
#pragma once

#if defined(COHORT_HAVE_CUDA_KERNELS)
#include <cuda_runtime_api.h>

#include <vector>

#include "cohort/codec/chunk_plan.h"
#include "cohort/codec/encode.h"

namespace cohort::detail {

// One tensor's device buffers: e (read), Δ (read) and where the folded, encoded residual goes (must
// alias neither).
struct DeviceEncodeBuffers {
  const float* ef = nullptr;
  const float* delta = nullptr;
  float* ef_next = nullptr;
};

// Runs the encode of every tensor (plans and buffers in table order) on `stream` with one
// synchronization; e is never written. Returns false, with `out` empty and ef_next unspecified, when a
// folded value is not finite; otherwise fills `out` (host) and ef_next holds e after the encode. Throws
// std::invalid_argument without one buffer set per plan, and std::runtime_error naming the CUDA error when
// an allocation, copy or launch fails (encode_batch refuses chunks over the kernels' limit itself).
bool encode_on_device(const std::vector<codec::ChunkPlan>& plans, const std::vector<DeviceEncodeBuffers>& buffers,
                      float beta, cudaStream_t stream, std::vector<codec::EncodedTensor>& out);

}  // namespace cohort::detail
#endif
