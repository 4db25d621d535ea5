// The quantize_codes kernels, bit-identical to quantize_codes_ref (CPU twin) and codec::quantize_values.
// The fixed reduction order leaves one parallel axis, the chunks, so the sequence on the stream is:
//   chunk_sum_kernel<false>   one thread per chunk: fp64 Σv over the chunk, sequential in index order;
//   finish_shift_kernel       one thread: Σ over the chunk partials in chunk order → shift = fp32(mean);
//   chunk_sum_kernel<true>    one thread per chunk: fp64 Σc², c = v − shift;
//   finish_scale_kernel       one thread: Σ over chunks → σ → scale;
//   chunk_codes_kernel        one thread per chunk: codes, and per-bin Σc and counts in index order;
//   finish_lookup_kernel      one thread: per-bin Σ over chunks → lookup;
// then one copy of shift and lookup to the host. The cross-chunk sums stay on the device (one thread
// walking chunk_count partials) so the whole sequence is stream-ordered with a single synchronization.
// All fp64 arithmetic uses the _rn intrinsics: nvcc contracts a·b + c into an fma by default, which
// would round once where the reference rounds twice.
// Plain device pointers only: no libtorch here. Shape suffixes: _K = total kept; _C = chunk count;
// _C4 = chunk count × 4 bins, chunk-major.
#include "kernels/quantize_codes.h"

namespace cohort::kernels {
namespace {

constexpr int kThreads = 256;

// Device-side scalars between the steps; the copy to the host is `result`.
struct QuantScalars {
  double shift = 0.0;  // fp64 of the fp32 shift
  double scale = 1.0;
  QuantResult result;
};

constexpr size_t kScalarsBytes = 64;
static_assert(sizeof(QuantScalars) <= kScalarsBytes, "scalars fit their scratch slot");

// Scratch layout: scalars, fp64 partials (C4; the Σv and Σc² passes use the first C), uint32 counts (C4).
struct Scratch {
  QuantScalars* scalars;
  double* partial_C4;
  uint32_t* count_C4;
};

Scratch carve(void* scratch, int64_t chunks) {
  char* base = static_cast<char*>(scratch);
  double* partial = reinterpret_cast<double*>(base + kScalarsBytes);
  return {reinterpret_cast<QuantScalars*>(base), partial,
          reinterpret_cast<uint32_t*>(partial + chunks * kCodeBins)};
}

template <bool kSquares>
__global__ void chunk_sum_kernel(const float* __restrict__ values_K, ChunkGeometry g,
                                 const QuantScalars* __restrict__ scalars, double* __restrict__ partial_C) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t ch = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; ch < g.chunk_count(); ch += stride) {
    const int64_t at = g.chunk_offset(ch);
    const int64_t end = at + g.chunk_k(ch);
    double partial = 0.0;
    if constexpr (kSquares) {
      const double shift = scalars->shift;
      for (int64_t j = at; j < end; ++j) {
        const double c = __dsub_rn(static_cast<double>(values_K[j]), shift);
        partial = __dadd_rn(partial, __dmul_rn(c, c));
      }
    } else {
      for (int64_t j = at; j < end; ++j) {
        partial = __dadd_rn(partial, static_cast<double>(values_K[j]));
      }
    }
    partial_C[ch] = partial;
  }
}

// One thread: Σ partial_C in chunk order.
__device__ double sum_in_chunk_order(const double* partial_C, int64_t chunks) {
  double total = 0.0;
  for (int64_t ch = 0; ch < chunks; ++ch) {
    total = __dadd_rn(total, partial_C[ch]);
  }
  return total;
}

__global__ void finish_shift_kernel(const double* __restrict__ partial_C, int64_t chunks, int64_t n,
                                    QuantScalars* __restrict__ scalars) {
  const float shift = __double2float_rn(__ddiv_rn(sum_in_chunk_order(partial_C, chunks), static_cast<double>(n)));
  scalars->result.shift = shift;
  scalars->shift = static_cast<double>(shift);
}

__global__ void finish_scale_kernel(const double* __restrict__ partial_C, int64_t chunks, int64_t n,
                                    QuantScalars* __restrict__ scalars) {
  const double sum_sq = sum_in_chunk_order(partial_C, chunks);
  const double sigma = n > 1 ? __dsqrt_rn(__ddiv_rn(sum_sq, static_cast<double>(n - 1))) : 0.0;
  double scale = __dmul_rn(1.5, sigma);
  if (!(scale > 0.0) || !isfinite(scale)) {
    scale = 1.0;
  }
  scalars->scale = scale;
}

__global__ void chunk_codes_kernel(const float* __restrict__ values_K, ChunkGeometry g,
                                   const QuantScalars* __restrict__ scalars, uint8_t* __restrict__ codes_K,
                                   double* __restrict__ partial_C4, uint32_t* __restrict__ count_C4) {
  const double shift = scalars->shift;
  const double scale = scalars->scale;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t ch = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; ch < g.chunk_count(); ch += stride) {
    const int64_t at = g.chunk_offset(ch);
    const int64_t end = at + g.chunk_k(ch);
    double partial[kCodeBins] = {0.0, 0.0, 0.0, 0.0};
    uint32_t count[kCodeBins] = {0, 0, 0, 0};
    for (int64_t j = at; j < end; ++j) {
      const double c = __dsub_rn(static_cast<double>(values_K[j]), shift);
      const double r = rint(__dadd_rn(__ddiv_rn(c, scale), 2.0));  // half to even, like std::nearbyint
      const int code = r <= 0.0 ? 0 : (r >= 3.0 ? 3 : static_cast<int>(r));
      codes_K[j] = static_cast<uint8_t>(code);
      partial[code] = __dadd_rn(partial[code], c);
      ++count[code];
    }
    for (int b = 0; b < kCodeBins; ++b) {
      partial_C4[ch * kCodeBins + b] = partial[b];
      count_C4[ch * kCodeBins + b] = count[b];
    }
  }
}

__global__ void finish_lookup_kernel(const double* __restrict__ partial_C4, const uint32_t* __restrict__ count_C4,
                                     int64_t chunks, QuantScalars* __restrict__ scalars) {
  double total[kCodeBins] = {0.0, 0.0, 0.0, 0.0};
  int64_t count[kCodeBins] = {0, 0, 0, 0};
  for (int64_t ch = 0; ch < chunks; ++ch) {
    for (int b = 0; b < kCodeBins; ++b) {
      total[b] = __dadd_rn(total[b], partial_C4[ch * kCodeBins + b]);
      count[b] += count_C4[ch * kCodeBins + b];
    }
  }
  for (int b = 0; b < kCodeBins; ++b) {
    scalars->result.lookup[b] =
        count[b] > 0 ? __double2float_rn(__ddiv_rn(total[b], static_cast<double>(count[b]))) : 0.0F;
  }
}

}  // namespace

size_t quantize_codes_scratch_bytes(const ChunkGeometry& geometry) {
  const auto chunks = static_cast<size_t>(geometry.chunk_count());
  return kScalarsBytes + chunks * kCodeBins * (sizeof(double) + sizeof(uint32_t));
}

cudaError_t quantize_codes(const float* values_K, const ChunkGeometry& geometry, uint8_t* codes_K, void* scratch,
                           cudaStream_t stream, QuantResult* result) {
  const int64_t chunks = geometry.chunk_count();
  if (chunks < 1 || geometry.topk < 1 || values_K == nullptr || codes_K == nullptr || scratch == nullptr ||
      result == nullptr) {
    return cudaErrorInvalidValue;
  }
  const int64_t n = geometry.total_kept();
  const Scratch s = carve(scratch, chunks);
  constexpr int64_t kMaxBlocks = 65535;
  const int64_t blocks_needed = (chunks + kThreads - 1) / kThreads;
  const unsigned int blocks = static_cast<unsigned int>(blocks_needed < kMaxBlocks ? blocks_needed : kMaxBlocks);
  // Each step reads what the previous one wrote: stop at the first failed launch.
  chunk_sum_kernel<false><<<blocks, kThreads, 0, stream>>>(values_K, geometry, s.scalars, s.partial_C4);
  cudaError_t status = cudaGetLastError();
  if (status == cudaSuccess) {
    finish_shift_kernel<<<1, 1, 0, stream>>>(s.partial_C4, chunks, n, s.scalars);
    status = cudaGetLastError();
  }
  if (status == cudaSuccess) {
    chunk_sum_kernel<true><<<blocks, kThreads, 0, stream>>>(values_K, geometry, s.scalars, s.partial_C4);
    status = cudaGetLastError();
  }
  if (status == cudaSuccess) {
    finish_scale_kernel<<<1, 1, 0, stream>>>(s.partial_C4, chunks, n, s.scalars);
    status = cudaGetLastError();
  }
  if (status == cudaSuccess) {
    chunk_codes_kernel<<<blocks, kThreads, 0, stream>>>(values_K, geometry, s.scalars, codes_K, s.partial_C4,
                                                        s.count_C4);
    status = cudaGetLastError();
  }
  if (status == cudaSuccess) {
    finish_lookup_kernel<<<1, 1, 0, stream>>>(s.partial_C4, s.count_C4, chunks, s.scalars);
    status = cudaGetLastError();
  }
  if (status != cudaSuccess) {
    return status;
  }
  status = cudaMemcpyAsync(result, &s.scalars->result, sizeof(QuantResult), cudaMemcpyDeviceToHost, stream);
  return status == cudaSuccess ? cudaStreamSynchronize(stream) : status;
}

}  // namespace cohort::kernels
