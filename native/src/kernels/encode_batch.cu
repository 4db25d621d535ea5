// encode_batch on the device (see encode_batch.h): three steps on one stream, then one copy and one
// synchronization whatever the number of tensors:
//   fold_select_kernel   one 256-thread block per chunk of every tensor (grid-stride): a coalesced load of
//                        e and Δ, v = fma(β, e, Δ) written to ef_next and kept in shared memory, a
//                        non-finite check, then the block-wide top-k of topk_block.cuh;
//   quantize_batch       six launches over the kept values of every tensor (quantize_codes.cu);
//   residual_kernel      one thread per chunk: ef_next[kept] −= lookup[code] + shift.
// Plain device pointers only: no libtorch here. Shape suffixes: _N = a tensor's flat element count;
// _K = the batch's total kept; _S = tensor (slot) count.
#include <cstring>
#include <vector>

#include "kernels/encode_batch.h"
#include "kernels/launch_geometry.h"
#include "kernels/topk_block.cuh"

namespace cohort::kernels {
namespace {

using geometry::align8;
constexpr int kResidualThreads = 256;

// Scratch layout (each part 8-byte aligned): slots (S), the caller's table (S: the buffers beside each
// slot), results (S) followed directly by the finiteness flag (one copy brings both home), kept values
// (K), then quantize_batch's scratch.
struct Layout {
  size_t slots = 0;
  size_t tensors = 0;
  size_t results = 0;
  size_t flag = 0;
  size_t values = 0;
  size_t quantize = 0;
  size_t total = 0;
};

Layout layout_of(int count, const SlotTotals& totals) {
  Layout l;
  const auto s = static_cast<size_t>(count);
  l.tensors = l.slots + align8(s * sizeof(TensorSlot));
  l.results = l.tensors + align8(s * sizeof(EncodeTensor));
  l.flag = l.results + s * sizeof(QuantResult);
  l.values = align8(l.flag + sizeof(uint32_t));
  l.quantize = l.values + align8(static_cast<size_t>(totals.kept) * sizeof(float));
  l.total = l.quantize + quantize_batch_scratch_bytes(totals.chunks, count);
  return l;
}

SlotTotals slots_of(const EncodeTensor* tensors, int count, TensorSlot* slots) {
  for (int t = 0; t < count; ++t) slots[t].geometry = tensors[t].geometry;
  return lay_out_slots(slots, count);
}

// At most 64 registers, so four blocks share an SM and one block's loads overlap the others' selection.
__global__ void __launch_bounds__(kTopkThreads, 4)
    fold_select_kernel(const TensorSlot* __restrict__ slots_S, const EncodeTensor* __restrict__ tensors_S, int slots,
                       int64_t chunks, float beta, uint16_t* __restrict__ indices_K, float* __restrict__ values_K,
                       uint32_t* __restrict__ non_finite) {
  __shared__ TopkShared sh;
  for (int64_t ch = blockIdx.x; ch < chunks; ch += gridDim.x) {
    const ChunkAt c = locate_chunk(slots_S, slots, ch);
    const ChunkGeometry& g = slots_S[c.slot].geometry;
    const int w = static_cast<int>(g.chunk_cols(c.local));
    const int m = static_cast<int>(g.chunk_size(c.local));
    const int64_t origin = g.chunk_origin(c.local);
    const EncodeTensor& b = tensors_S[c.slot];
    bool bad = false;
    // Striped: consecutive threads read and write consecutive columns of a row (coalesced).
    for (int i = static_cast<int>(threadIdx.x); i < m; i += kTopkThreads) {
      const int64_t at = origin + static_cast<int64_t>(i / w) * g.cols.size + i % w;
      const float v = __fmaf_rn(beta, b.ef_N[at], b.delta_N[at]);  // one rounding, like std::fma
      b.ef_next_N[at] = v;
      sh.tile[i] = v;
      bad |= (__float_as_uint(v) & 0x7F800000U) == 0x7F800000U;
    }
    if (bad) {
      atomicOr(non_finite, 1U);
    }
    __syncthreads();
    select_tile_topk(sh, m, static_cast<uint32_t>(g.chunk_k(c.local)), indices_K + c.kept_at, values_K + c.kept_at);
  }
}

__global__ void __launch_bounds__(kResidualThreads)
    residual_kernel(const TensorSlot* __restrict__ slots_S, const EncodeTensor* __restrict__ tensors_S, int slots,
                    int64_t chunks, const QuantResult* __restrict__ results_S, const uint16_t* __restrict__ indices_K,
                    const uint8_t* __restrict__ codes_K) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t ch = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; ch < chunks; ch += stride) {
    const ChunkAt c = locate_chunk(slots_S, slots, ch);
    const ChunkGeometry& g = slots_S[c.slot].geometry;
    const QuantResult& q = results_S[c.slot];
    float sent[kCodeBins];
    for (int c = 0; c < kCodeBins; ++c) {
      sent[c] = __fadd_rn(q.lookup[c], q.shift);  // dequantize() exactly as receivers do
    }
    float* ef_next = tensors_S[c.slot].ef_next_N;
    const int64_t end = c.kept_at + g.chunk_k(c.local);
    for (int64_t j = c.kept_at; j < end; ++j) {
      float& slot = ef_next[g.flat_index(c.local, indices_K[j])];
      slot = __fsub_rn(slot, sent[codes_K[j]]);
    }
  }
}

}  // namespace

size_t encode_batch_scratch_bytes(const EncodeTensor* tensors, int count) {
  if (count < 1) return 0;
  std::vector<TensorSlot> slots(static_cast<size_t>(count));
  const SlotTotals totals = slots_of(tensors, count, slots.data());
  return layout_of(count, totals).total;
}

cudaError_t encode_batch(const EncodeTensor* tensors, int count, float beta, uint16_t* indices_K, uint8_t* codes_K,
                         void* scratch, cudaStream_t stream, QuantResult* results, bool* finite,
                         const EncodeBatchMarks* marks) {
  // Records one phase's end when asked to.
  auto mark = [&](cudaEvent_t EncodeBatchMarks::*which) {
    return marks != nullptr && marks->*which != nullptr ? cudaEventRecord(marks->*which, stream) : cudaSuccess;
  };
  if (count < 1 || tensors == nullptr || indices_K == nullptr || codes_K == nullptr || scratch == nullptr ||
      results == nullptr || finite == nullptr) {
    return cudaErrorInvalidValue;
  }
  const auto n = static_cast<size_t>(count);
  std::vector<TensorSlot> slots(n);
  const SlotTotals totals = slots_of(tensors, count, slots.data());
  bool valid = true;
  for (int t = 0; t < count; ++t) {
    valid = valid && tensors[t].geometry.fits_a_block() && tensors[t].ef_N != nullptr &&
            tensors[t].delta_N != nullptr && tensors[t].ef_next_N != nullptr;
  }
  cudaError_t status = valid ? cudaSuccess : cudaErrorInvalidValue;
  const Layout l = layout_of(count, totals);
  char* base = static_cast<char*>(scratch);
  auto* slots_D = reinterpret_cast<TensorSlot*>(base + l.slots);
  auto* tensors_D = reinterpret_cast<EncodeTensor*>(base + l.tensors);
  auto* results_D = reinterpret_cast<QuantResult*>(base + l.results);
  auto* flag_D = reinterpret_cast<uint32_t*>(base + l.flag);
  auto* values_D = reinterpret_cast<float*>(base + l.values);
  // The tables are pageable host memory: each copy is staged before cudaMemcpyAsync returns.
  if (status == cudaSuccess) {
    status = cudaMemcpyAsync(slots_D, slots.data(), n * sizeof(TensorSlot), cudaMemcpyHostToDevice, stream);
  }
  if (status == cudaSuccess) {
    status = cudaMemcpyAsync(tensors_D, tensors, n * sizeof(EncodeTensor), cudaMemcpyHostToDevice, stream);
  }
  if (status == cudaSuccess) status = cudaMemsetAsync(flag_D, 0, sizeof(uint32_t), stream);
  if (status == cudaSuccess) {
    fold_select_kernel<<<geometry::blocks_for(totals.chunks, 1), kTopkThreads, 0, stream>>>(
        slots_D, tensors_D, count, totals.chunks, beta, indices_K, values_D, flag_D);
    status = cudaGetLastError();
  }
  if (status == cudaSuccess) status = mark(&EncodeBatchMarks::folded);
  if (status == cudaSuccess) {
    status = quantize_batch(values_D, slots_D, count, totals.chunks, codes_K, base + l.quantize, stream, results_D);
  }
  if (status == cudaSuccess) status = mark(&EncodeBatchMarks::quantized);
  if (status == cudaSuccess) {
    residual_kernel<<<geometry::blocks_for(totals.chunks, kResidualThreads), kResidualThreads, 0, stream>>>(
        slots_D, tensors_D, count, totals.chunks, results_D, indices_K, codes_K);
    status = cudaGetLastError();
  }
  if (status == cudaSuccess) status = mark(&EncodeBatchMarks::done);
  // Results and flag are adjacent in scratch: one copy, one synchronization.
  std::vector<char> home(l.flag + sizeof(uint32_t) - l.results);
  if (status == cudaSuccess) {
    status = cudaMemcpyAsync(home.data(), results_D, home.size(), cudaMemcpyDeviceToHost, stream);
  }
  if (status == cudaSuccess) status = cudaStreamSynchronize(stream);
  if (status != cudaSuccess) return status;
  std::memcpy(results, home.data(), n * sizeof(QuantResult));
  uint32_t flag = 0;
  std::memcpy(&flag, home.data() + n * sizeof(QuantResult), sizeof flag);
  *finite = flag == 0;
  return cudaSuccess;
}

}  // namespace cohort::kernels
