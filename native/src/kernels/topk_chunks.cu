// topk_chunks_kernel: per-chunk top-k, output identical to topk_chunks_ref (CPU twin) and to
// cohort::codec::select_topk. One 256-thread block per chunk (grid-stride over chunks):
//   1. a coalesced load of the tile (≤ 4096 floats) into shared memory;
//   2. an MSB-first radix select over the 31 magnitude bits (four 8-bit digits, shared histograms) that
//      finds T, the |v| bits of the k-th largest entry, and `need`, how many entries equal to T are kept
//      (the lowest-index ones: that is the key order's tie-break);
//   3. one block scan in index order (each thread owns 16 consecutive indices) over packed
//      (count > T, count == T) pairs, which gives every kept entry its output position, so the output comes
//      out in ascending index order without a sort.
// Plain device pointers only: no libtorch here. Shape suffixes: _N = flat element count; _K = total kept.
#include <cub/block/block_scan.cuh>

#include "kernels/topk_chunks.h"

namespace cohort::kernels {
namespace {

constexpr int kThreads = 256;
constexpr int kItems = kMaxChunkElements / kThreads;  // consecutive in-chunk indices per thread (16)
constexpr int kDigitBits = 8;
constexpr int kBins = 1 << kDigitBits;
static_assert(kBins == kThreads, "one histogram bin per thread");
static_assert(kItems * kThreads == kMaxChunkElements, "threads × items must cover a chunk");
// Counts packed into one scanned word: (greater << 16) | equal; each is at most 4096.
constexpr uint32_t kGreaterOne = 1U << 16;
constexpr uint32_t kEqualMask = kGreaterOne - 1;
static_assert(kMaxChunkElements <= kEqualMask, "packed counts must not carry");

__device__ __forceinline__ uint32_t abs_bits(float v) { return __float_as_uint(v) & 0x7FFFFFFFU; }

__global__ void __launch_bounds__(kThreads)
    topk_chunks_kernel(const float* __restrict__ data_N, ChunkGeometry g, uint16_t* __restrict__ indices_K,
                       float* __restrict__ values_K) {
  using Scan = cub::BlockScan<uint32_t, kThreads>;
  __shared__ float tile[kMaxChunkElements];
  __shared__ uint32_t histogram[kBins];
  __shared__ typename Scan::TempStorage scan_storage;
  __shared__ uint32_t found_digit;
  __shared__ uint32_t found_remaining;
  const int tid = static_cast<int>(threadIdx.x);

  for (int64_t ch = blockIdx.x; ch < g.chunk_count(); ch += gridDim.x) {
    const int w = static_cast<int>(g.chunk_cols(ch));
    const int m = static_cast<int>(g.chunk_size(ch));
    const uint32_t k = static_cast<uint32_t>(g.chunk_k(ch));
    const float* origin = data_N + g.chunk_origin(ch);
    // Striped load: consecutive threads read consecutive columns of a row (coalesced).
    for (int i = tid; i < m; i += kThreads) {
      tile[i] = origin[static_cast<int64_t>(i / w) * g.cols.size + i % w];
    }
    __syncthreads();

    // A dense chunk keeps everything: every |v| bits >= 0, and all m ties at 0 are kept.
    uint32_t threshold = 0;
    uint32_t need = static_cast<uint32_t>(m);
    if (k < static_cast<uint32_t>(m)) {
      // Invariant: at least `remaining` entries match `prefix` on the digits decided so far.
      uint32_t prefix = 0;
      uint32_t mask = 0;
      uint32_t remaining = k;
      for (int shift = 32 - kDigitBits; shift >= 0; shift -= kDigitBits) {
        histogram[tid] = 0;
        __syncthreads();
        for (int i = tid; i < m; i += kThreads) {
          const uint32_t a = abs_bits(tile[i]);
          if ((a & mask) == prefix) {
            atomicAdd(&histogram[(a >> shift) & (kBins - 1)], 1U);
          }
        }
        __syncthreads();
        // Thread t owns digit 255 − t, so the exclusive scan counts the entries with a larger digit.
        const uint32_t digit = static_cast<uint32_t>(kBins - 1 - tid);
        const uint32_t count = histogram[digit];
        uint32_t above = 0;
        Scan(scan_storage).ExclusiveSum(count, above);
        if (above < remaining && above + count >= remaining) {  // exactly one digit qualifies
          found_digit = digit;
          found_remaining = remaining - above;
        }
        __syncthreads();
        prefix |= found_digit << shift;
        mask |= static_cast<uint32_t>(kBins - 1) << shift;
        remaining = found_remaining;
      }
      threshold = prefix;
      need = remaining;
    }

    // Compaction in index order: thread t owns indices [16t, 16t + 16).
    const int first = tid * kItems;
    uint32_t packed = 0;
    for (int j = 0; j < kItems; ++j) {
      const int i = first + j;
      if (i < m) {
        const uint32_t a = abs_bits(tile[i]);
        packed += a > threshold ? kGreaterOne : (a == threshold ? 1U : 0U);
      }
    }
    uint32_t before = 0;
    Scan(scan_storage).ExclusiveSum(packed, before);
    uint32_t greater = before >> 16;
    uint32_t equal = before & kEqualMask;
    const int64_t offset = g.chunk_offset(ch);
    for (int j = 0; j < kItems; ++j) {
      const int i = first + j;
      if (i >= m) {
        break;
      }
      const float v = tile[i];
      const uint32_t a = abs_bits(v);
      if (a > threshold || (a == threshold && equal < need)) {
        // Kept entries before i: every greater one, and the first `need` equal ones.
        const int64_t at = offset + greater + (equal < need ? equal : need);
        indices_K[at] = static_cast<uint16_t>(i);
        values_K[at] = v;
      }
      greater += a > threshold ? 1U : 0U;
      equal += a == threshold ? 1U : 0U;
    }
    __syncthreads();  // the next chunk reuses tile[] and scan_storage
  }
}

}  // namespace

cudaError_t launch_topk_chunks(const float* data_N, const ChunkGeometry& geometry, uint16_t* indices_K,
                               float* values_K, cudaStream_t stream) {
  const int64_t chunks = geometry.chunk_count();
  if (chunks < 1 || geometry.topk < 1 || geometry.rows.block < 1 || geometry.cols.block < 1 ||
      geometry.rows.block * geometry.cols.block > kMaxChunkElements) {
    return cudaErrorInvalidValue;
  }
  constexpr int64_t kMaxBlocks = 65535;
  const unsigned int blocks = static_cast<unsigned int>(chunks < kMaxBlocks ? chunks : kMaxBlocks);
  topk_chunks_kernel<<<blocks, kThreads, 0, stream>>>(data_N, geometry, indices_K, values_K);
  return cudaGetLastError();
}

}  // namespace cohort::kernels
