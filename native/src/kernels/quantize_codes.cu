// The quantize_codes kernels, bit-identical to quantize_codes_ref (CPU twin) and codec::quantize_values,
// batched over a slot table (tensor_slots.h) so a whole model is quantized by six launches:
//   chunk_sum_kernel<false>   one thread per chunk of every tensor: fp64 Σv over the chunk, in index order;
//   finish_moment_kernel<false>  one block per tensor: the pairwise tree over its chunk partials → shift;
//   chunk_sum_kernel<true>    one thread per chunk: fp64 Σc², c = v − shift;
//   finish_moment_kernel<true>   one block per tensor: the tree → σ → scale;
//   chunk_codes_kernel        one thread per chunk: codes, and per-bin Σc and counts in index order;
//   finish_lookup_kernel      one block per tensor: per-bin trees → lookup.
// The tree (pairwise_sum.h) takes log2(chunks) block-synchronized levels, not one thread walking every
// partial in turn (ADR 0020). All fp64 arithmetic uses the _rn intrinsics: nvcc contracts a·b + c into
// an fma by default, which would round once where the reference rounds twice.
// quantize_codes (one tensor) is a batch of one plus a copy of its result to the host.
// Plain device pointers only: no libtorch here. Shape suffixes: _K = total kept; _C = chunk count (of the
// batch); _4C = 4 bins × C, bin-major; _S = slot count.
#include "kernels/launch_geometry.h"
#include "kernels/quantize_codes.h"

namespace cohort::kernels {
namespace {

using geometry::align8;
constexpr int kThreads = 256;

// Device-side scalars of one tensor between the steps.
struct QuantScalars {
  double shift = 0.0;  // fp64 of the fp32 shift
  double scale = 1.0;
};

// Scratch layout (each part 8-byte aligned): scalars (S), fp64 partials (4C; the Σv and Σc² passes use
// the first C), fp64 tree workspace (C), uint32 counts (4C).
struct Scratch {
  QuantScalars* scalars_S;
  double* partial_4C;
  double* work_C;
  uint32_t* count_4C;
};

Scratch carve(void* scratch, int64_t chunks, int slots) {
  char* at = static_cast<char*>(scratch);
  Scratch s{};
  s.scalars_S = reinterpret_cast<QuantScalars*>(at);
  at += align8(static_cast<size_t>(slots) * sizeof(QuantScalars));
  s.partial_4C = reinterpret_cast<double*>(at);
  at += static_cast<size_t>(chunks) * kCodeBins * sizeof(double);
  s.work_C = reinterpret_cast<double*>(at);
  at += static_cast<size_t>(chunks) * sizeof(double);
  s.count_4C = reinterpret_cast<uint32_t*>(at);
  return s;
}

template <bool kSquares>
__global__ void chunk_sum_kernel(const float* __restrict__ values_K, const TensorSlot* __restrict__ slots_S,
                                 int slots, int64_t chunks, const QuantScalars* __restrict__ scalars_S,
                                 double* __restrict__ partial_C) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t ch = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; ch < chunks; ch += stride) {
    const ChunkAt c = locate_chunk(slots_S, slots, ch);
    const int64_t end = c.kept_at + slots_S[c.slot].geometry.chunk_k(c.local);
    double partial = 0.0;
    if constexpr (kSquares) {
      const double shift = scalars_S[c.slot].shift;
      for (int64_t j = c.kept_at; j < end; ++j) {
        const double d = __dsub_rn(static_cast<double>(values_K[j]), shift);
        partial = __dadd_rn(partial, __dmul_rn(d, d));
      }
    } else {
      for (int64_t j = c.kept_at; j < end; ++j) {
        partial = __dadd_rn(partial, static_cast<double>(values_K[j]));
      }
    }
    partial_C[ch] = partial;
  }
}

// Σ a[0..n) in the pairwise tree order of pairwise_sum.h, by the whole block: each level writes the pair
// sums to the other buffer, then the block synchronizes (global writes are visible block-wide after
// __syncthreads). a and b are clobbered; every thread gets the sum. Every thread must call it.
__device__ double block_pairwise_sum(double* a, double* b, int64_t n) {
  if (n <= 0) {
    return 0.0;
  }
  while (n > 1) {
    const int64_t half = n / 2;
    for (int64_t i = threadIdx.x; i < half; i += blockDim.x) {
      b[i] = __dadd_rn(a[2 * i], a[2 * i + 1]);
    }
    if ((n & 1) != 0 && threadIdx.x == 0) {
      b[half] = a[n - 1];
    }
    __syncthreads();
    double* const t = a;
    a = b;
    b = t;
    n -= half;
  }
  const double root = a[0];
  __syncthreads();  // the caller may reuse a and b
  return root;
}

// One block per tensor: the tree over its chunk partials, then, in thread 0, shift = fp32(Σv / N) (first
// moment) or scale = 1.5·sqrt(Σc² / (N − 1)), 1 when that is zero or not finite (second moment).
template <bool kSecondMoment>
__global__ void __launch_bounds__(kThreads)
    finish_moment_kernel(const TensorSlot* __restrict__ slots_S, double* __restrict__ partial_C,
                         double* __restrict__ work_C, QuantScalars* __restrict__ scalars_S,
                         QuantResult* __restrict__ results_S) {
  const TensorSlot& slot = slots_S[blockIdx.x];
  const int64_t n = slot.geometry.total_kept();
  const double sum =
      block_pairwise_sum(partial_C + slot.chunk_base, work_C + slot.chunk_base, slot.geometry.chunk_count());
  if (threadIdx.x != 0) {
    return;
  }
  if constexpr (kSecondMoment) {
    const double sigma = n > 1 ? __dsqrt_rn(__ddiv_rn(sum, static_cast<double>(n - 1))) : 0.0;
    double scale = __dmul_rn(1.5, sigma);
    if (!(scale > 0.0) || !isfinite(scale)) {
      scale = 1.0;
    }
    scalars_S[blockIdx.x].scale = scale;
  } else {
    const float shift = __double2float_rn(__ddiv_rn(sum, static_cast<double>(n)));
    results_S[blockIdx.x].shift = shift;
    scalars_S[blockIdx.x].shift = static_cast<double>(shift);
  }
}

__global__ void chunk_codes_kernel(const float* __restrict__ values_K, const TensorSlot* __restrict__ slots_S,
                                   int slots, int64_t chunks, const QuantScalars* __restrict__ scalars_S,
                                   uint8_t* __restrict__ codes_K, double* __restrict__ partial_4C,
                                   uint32_t* __restrict__ count_4C) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t ch = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; ch < chunks; ch += stride) {
    const ChunkAt c = locate_chunk(slots_S, slots, ch);
    const int64_t end = c.kept_at + slots_S[c.slot].geometry.chunk_k(c.local);
    const double shift = scalars_S[c.slot].shift;
    const double scale = scalars_S[c.slot].scale;
    double partial[kCodeBins] = {0.0, 0.0, 0.0, 0.0};
    uint32_t count[kCodeBins] = {0, 0, 0, 0};
    for (int64_t j = c.kept_at; j < end; ++j) {
      const double d = __dsub_rn(static_cast<double>(values_K[j]), shift);
      const double r = rint(__dadd_rn(__ddiv_rn(d, scale), 2.0));  // half to even, like std::nearbyint
      // NaN (a non-finite value the caller will refuse) lands in bin 0 rather than indexing out of range.
      const int code = !(r > 0.0) ? 0 : (r >= 3.0 ? 3 : static_cast<int>(r));
      codes_K[j] = static_cast<uint8_t>(code);
      partial[code] = __dadd_rn(partial[code], d);
      ++count[code];
    }
    for (int b = 0; b < kCodeBins; ++b) {
      partial_4C[b * chunks + ch] = partial[b];
      count_4C[b * chunks + ch] = count[b];
    }
  }
}

__global__ void __launch_bounds__(kThreads)
    finish_lookup_kernel(const TensorSlot* __restrict__ slots_S, int64_t chunks, double* __restrict__ partial_4C,
                         const uint32_t* __restrict__ count_4C, double* __restrict__ work_C,
                         QuantResult* __restrict__ results_S) {
  __shared__ unsigned long long bin_count[kCodeBins];
  const TensorSlot& slot = slots_S[blockIdx.x];
  const int64_t first = slot.chunk_base;
  const int64_t n = slot.geometry.chunk_count();
  if (threadIdx.x < kCodeBins) {
    bin_count[threadIdx.x] = 0;
  }
  __syncthreads();
  // Counts are integers: any order gives the same total.
  unsigned long long mine[kCodeBins] = {0, 0, 0, 0};
  for (int64_t ch = threadIdx.x; ch < n; ch += blockDim.x) {
    for (int b = 0; b < kCodeBins; ++b) {
      mine[b] += count_4C[b * chunks + first + ch];
    }
  }
  for (int b = 0; b < kCodeBins; ++b) {
    atomicAdd(&bin_count[b], mine[b]);
  }
  __syncthreads();
  for (int b = 0; b < kCodeBins; ++b) {
    const double total = block_pairwise_sum(partial_4C + b * chunks + first, work_C + first, n);
    if (threadIdx.x == 0) {
      const unsigned long long count = bin_count[b];
      results_S[blockIdx.x].lookup[b] =
          count > 0 ? __double2float_rn(__ddiv_rn(total, static_cast<double>(count))) : 0.0F;
    }
  }
}

}  // namespace

size_t quantize_batch_scratch_bytes(int64_t chunks, int slots) {
  const auto c = static_cast<size_t>(chunks);
  return align8(static_cast<size_t>(slots) * sizeof(QuantScalars)) + c * kCodeBins * sizeof(double) +
         c * sizeof(double) + c * kCodeBins * sizeof(uint32_t);
}

cudaError_t quantize_batch(const float* values_K, const TensorSlot* slots_D, int slots, int64_t chunks,
                           uint8_t* codes_K, void* scratch, cudaStream_t stream, QuantResult* results_D) {
  if (slots < 1 || chunks < 1 || values_K == nullptr || slots_D == nullptr || codes_K == nullptr ||
      scratch == nullptr || results_D == nullptr) {
    return cudaErrorInvalidValue;
  }
  const Scratch s = carve(scratch, chunks, slots);
  const unsigned int per_chunk = geometry::blocks_for(chunks, kThreads);
  const auto per_slot = static_cast<unsigned int>(slots);
  // Each step reads what the previous one wrote: stop at the first failed launch.
  chunk_sum_kernel<false><<<per_chunk, kThreads, 0, stream>>>(values_K, slots_D, slots, chunks, s.scalars_S,
                                                              s.partial_4C);
  cudaError_t status = cudaGetLastError();
  if (status == cudaSuccess) {
    finish_moment_kernel<false><<<per_slot, kThreads, 0, stream>>>(slots_D, s.partial_4C, s.work_C, s.scalars_S,
                                                                   results_D);
    status = cudaGetLastError();
  }
  if (status == cudaSuccess) {
    chunk_sum_kernel<true><<<per_chunk, kThreads, 0, stream>>>(values_K, slots_D, slots, chunks, s.scalars_S,
                                                               s.partial_4C);
    status = cudaGetLastError();
  }
  if (status == cudaSuccess) {
    finish_moment_kernel<true><<<per_slot, kThreads, 0, stream>>>(slots_D, s.partial_4C, s.work_C, s.scalars_S,
                                                                  results_D);
    status = cudaGetLastError();
  }
  if (status == cudaSuccess) {
    chunk_codes_kernel<<<per_chunk, kThreads, 0, stream>>>(values_K, slots_D, slots, chunks, s.scalars_S, codes_K,
                                                           s.partial_4C, s.count_4C);
    status = cudaGetLastError();
  }
  if (status == cudaSuccess) {
    finish_lookup_kernel<<<per_slot, kThreads, 0, stream>>>(slots_D, chunks, s.partial_4C, s.count_4C, s.work_C,
                                                           results_D);
    status = cudaGetLastError();
  }
  return status;
}

// One tensor: the slot table and the result live in scratch ahead of the batch's own scratch.
size_t quantize_codes_scratch_bytes(const ChunkGeometry& geometry) {
  return align8(sizeof(TensorSlot)) + align8(sizeof(QuantResult)) +
         quantize_batch_scratch_bytes(geometry.chunk_count(), 1);
}

cudaError_t quantize_codes(const float* values_K, const ChunkGeometry& geometry, uint8_t* codes_K, void* scratch,
                           cudaStream_t stream, QuantResult* result) {
  if (geometry.chunk_count() < 1 || geometry.topk < 1 || values_K == nullptr || codes_K == nullptr ||
      scratch == nullptr || result == nullptr) {
    return cudaErrorInvalidValue;
  }
  TensorSlot slot{geometry};
  const SlotTotals totals = lay_out_slots(&slot, 1);
  char* at = static_cast<char*>(scratch);
  auto* slot_D = reinterpret_cast<TensorSlot*>(at);
  at += align8(sizeof(TensorSlot));
  auto* result_D = reinterpret_cast<QuantResult*>(at);
  at += align8(sizeof(QuantResult));
  // `slot` is pageable host memory: the copy is staged before cudaMemcpyAsync returns.
  cudaError_t status = cudaMemcpyAsync(slot_D, &slot, sizeof slot, cudaMemcpyHostToDevice, stream);
  if (status == cudaSuccess) {
    status = quantize_batch(values_K, slot_D, 1, totals.chunks, codes_K, at, stream, result_D);
  }
  if (status == cudaSuccess) {
    status = cudaMemcpyAsync(result, result_D, sizeof(QuantResult), cudaMemcpyDeviceToHost, stream);
  }
  return status == cudaSuccess ? cudaStreamSynchronize(stream) : status;
}

}  // namespace cohort::kernels
