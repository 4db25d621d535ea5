// topk_chunks: the codec's per-chunk top-k (protocol §3, cohort/codec/topk.h) on plain pointers. In every
// chunk the k_c = min(topk, size) entries of largest |v|, ordered by the IEEE bit pattern with the sign
// cleared and ties broken by the lower in-chunk index (key = (|v| bits << 12) | (4095 − i), larger first),
// written in ascending in-chunk index order at the chunk's canonical offset. Two twins with identical
// output: the CUDA kernel (topk_chunks.cu) and the CPU reference (topk_chunks_ref.cc), both equal to
// cohort::codec::select_topk.
// Shape suffixes: _N = the tensor's flat element count (row-major); _K = geometry.total_kept().
#pragma once

#include <cstdint>

#include "kernels/chunk_geometry.h"

#if defined(COHORT_HAVE_CUDA_KERNELS)
#include <cuda_runtime_api.h>
#endif

namespace cohort::kernels {

// CPU reference. data_N must be finite (NaN bit patterns would still order, but the codec rejects them).
void topk_chunks_ref(const float* data_N, const ChunkGeometry& geometry, uint16_t* indices_K, float* values_K);

#if defined(COHORT_HAVE_CUDA_KERNELS)
// Launches topk_chunks_kernel on `stream` over device pointers (one block per chunk, grid-stride over
// chunks); returns the launch error, or cudaErrorInvalidValue when a chunk could exceed
// kMaxChunkElements or the geometry is empty.
cudaError_t launch_topk_chunks(const float* data_N, const ChunkGeometry& geometry, uint16_t* indices_K,
                               float* values_K, cudaStream_t stream);
#endif

}  // namespace cohort::kernels
