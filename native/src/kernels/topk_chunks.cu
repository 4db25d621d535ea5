// topk_chunks_kernel: per-chunk top-k of a tensor already in device memory, output identical to
// topk_chunks_ref (CPU twin) and to cohort::codec::select_topk. One 256-thread block per chunk
// (grid-stride over chunks): a coalesced load of the tile (≤ 4096 floats) into shared memory, then the
// block-wide selection of topk_block.cuh.
// Plain device pointers only: no libtorch here. Shape suffixes: _N = flat element count; _K = total kept.
#include "kernels/launch_geometry.h"
#include "kernels/topk_block.cuh"
#include "kernels/topk_chunks.h"

namespace cohort::kernels {
namespace {

using geometry::blocks_for;

__global__ void __launch_bounds__(kTopkThreads)
    topk_chunks_kernel(const float* __restrict__ data_N, ChunkGeometry g, uint16_t* __restrict__ indices_K,
                       float* __restrict__ values_K) {
  __shared__ TopkShared sh;
  for (int64_t ch = blockIdx.x; ch < g.chunk_count(); ch += gridDim.x) {
    const int w = static_cast<int>(g.chunk_cols(ch));
    const int m = static_cast<int>(g.chunk_size(ch));
    const float* origin = data_N + g.chunk_origin(ch);
    // Striped load: consecutive threads read consecutive columns of a row (coalesced).
    for (int i = static_cast<int>(threadIdx.x); i < m; i += kTopkThreads) {
      sh.tile[i] = origin[static_cast<int64_t>(i / w) * g.cols.size + i % w];
    }
    __syncthreads();
    const int64_t offset = g.chunk_offset(ch);
    select_tile_topk(sh, m, static_cast<uint32_t>(g.chunk_k(ch)), indices_K + offset, values_K + offset);
  }
}

}  // namespace

cudaError_t launch_topk_chunks(const float* data_N, const ChunkGeometry& geometry, uint16_t* indices_K,
                               float* values_K, cudaStream_t stream) {
  if (!geometry.fits_a_block()) {
    return cudaErrorInvalidValue;
  }
  topk_chunks_kernel<<<blocks_for(geometry.chunk_count(), 1), kTopkThreads, 0, stream>>>(
      data_N, geometry, indices_K, values_K);
  return cudaGetLastError();
}

}  // namespace cohort::kernels
