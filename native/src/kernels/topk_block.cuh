// The per-chunk top-k of the codec kernels as one block-wide device routine, shared by topk_chunks_kernel
// (a tensor already in memory) and fold_select_kernel (encode_batch.cu: e and Δ folded on the way in).
// The caller loads the chunk into TopkShared::tile and synchronizes; select_tile_topk then
//   1. runs an MSB-first radix select over the 31 magnitude bits that finds T, the |v| bits of the k-th
//      largest entry, and `need`, how many entries equal to T are kept (the lowest-index ones: that is the
//      key order's tie-break). Three digits of 11, 10 and 10 bits, counted in shared histograms: the first
//      digit is the whole exponent and three mantissa bits, so typical data (a few exponents) spreads
//      over dozens of bins rather than the two or three that the top 8 bits give, and a warp's shared
//      atomics rarely collide on one address (colliding atomics serialize);
//   2. runs one block scan in index order (each thread owns 16 consecutive indices) over packed
//      (count > T, count == T) pairs, which gives every kept entry its output position, so the output
//      comes out in ascending index order without a sort;
// and synchronizes before it returns, so the caller may reuse the shared storage for the next chunk.
// Needs blockDim.x == kTopkThreads. Include from .cu files only.
#pragma once

#include <cub/block/block_scan.cuh>

#include "kernels/chunk_geometry.h"

namespace cohort::kernels {

constexpr int kTopkThreads = 256;

namespace topk_detail {

constexpr int kItems = kMaxChunkElements / kTopkThreads;  // consecutive in-chunk indices per thread (16)
// MSB-first digits of the 31 magnitude bits: bits 20..30, 10..19, 0..9.
constexpr int kDigits = 3;
__host__ __device__ constexpr int digit_shift(int d) { return 20 - 10 * d; }
__host__ __device__ constexpr int digit_bits(int d) { return d == 0 ? 11 : 10; }
constexpr int kBins = 1 << 11;  // the widest digit's histogram
static_assert((1 << 10) % kTopkThreads == 0, "threads own equal runs of every digit's bins");
static_assert(kItems * kTopkThreads == kMaxChunkElements, "threads × items must cover a chunk");
// Counts packed into one scanned word: (greater << 16) | equal; each is at most 4096.
constexpr uint32_t kGreaterOne = 1U << 16;
constexpr uint32_t kEqualMask = kGreaterOne - 1;
static_assert(kMaxChunkElements <= kEqualMask, "packed counts must not carry");

__device__ __forceinline__ uint32_t abs_bits(float v) { return __float_as_uint(v) & 0x7FFFFFFFU; }

}  // namespace topk_detail

// Shared memory of one block's selection (about 25 KB).
struct TopkShared {
  using Scan = cub::BlockScan<uint32_t, kTopkThreads>;
  float tile[kMaxChunkElements];
  uint32_t histogram[topk_detail::kBins];  // a digit of b bits uses the first 2^b
  typename Scan::TempStorage scan_storage;
  uint32_t found_digit;
  uint32_t found_remaining;
};

// Keeps the k largest-|v| entries of tile[0..m) (k ≤ m ≤ kMaxChunkElements), writing in-chunk indices and
// values in ascending index order to indices_out[0..k) and values_out[0..k). Every thread must call it.
__device__ inline void select_tile_topk(TopkShared& sh, int m, uint32_t k, uint16_t* __restrict__ indices_out,
                                        float* __restrict__ values_out) {
  using namespace topk_detail;
  using Scan = TopkShared::Scan;
  const int tid = static_cast<int>(threadIdx.x);
  // A dense chunk keeps everything: every |v| bits >= 0, and all m ties at 0 are kept.
  uint32_t threshold = 0;
  uint32_t need = static_cast<uint32_t>(m);
  if (k < static_cast<uint32_t>(m)) {
    // Invariant: at least `remaining` entries match `prefix` on the digits decided so far.
    uint32_t prefix = 0;
    uint32_t mask = 0;
    uint32_t remaining = k;
#pragma unroll
    for (int d = 0; d < kDigits; ++d) {
      const int shift = digit_shift(d);
      const int bins = 1 << digit_bits(d);
      const uint32_t digit_mask = static_cast<uint32_t>(bins - 1);
      for (int b = tid; b < bins; b += kTopkThreads) {
        sh.histogram[b] = 0;
      }
      __syncthreads();
      for (int i = tid; i < m; i += kTopkThreads) {
        const uint32_t a = abs_bits(sh.tile[i]);
        if ((a & mask) == prefix) {
          atomicAdd(&sh.histogram[(a >> shift) & digit_mask], 1U);
        }
      }
      __syncthreads();
      // Thread t owns the run of `per` digits just below bins − per·t (largest first), so the exclusive
      // scan of the runs' totals counts the entries with a larger digit than the run's first.
      const int per = bins / kTopkThreads;
      const int top = bins - 1 - tid * per;
      uint32_t run = 0;
      for (int b = 0; b < per; ++b) {
        run += sh.histogram[top - b];
      }
      uint32_t above = 0;
      Scan(sh.scan_storage).ExclusiveSum(run, above);
      for (int b = 0; b < per; ++b) {
        const uint32_t count = sh.histogram[top - b];
        if (above < remaining && above + count >= remaining) {  // exactly one digit qualifies
          sh.found_digit = static_cast<uint32_t>(top - b);
          sh.found_remaining = remaining - above;
        }
        above += count;
      }
      __syncthreads();
      prefix |= sh.found_digit << shift;
      mask |= digit_mask << shift;
      remaining = sh.found_remaining;
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
      const uint32_t a = abs_bits(sh.tile[i]);
      packed += a > threshold ? kGreaterOne : (a == threshold ? 1U : 0U);
    }
  }
  uint32_t before = 0;
  Scan(sh.scan_storage).ExclusiveSum(packed, before);
  uint32_t greater = before >> 16;
  uint32_t equal = before & kEqualMask;
  for (int j = 0; j < kItems; ++j) {
    const int i = first + j;
    if (i >= m) {
      break;
    }
    const float v = sh.tile[i];
    const uint32_t a = abs_bits(v);
    if (a > threshold || (a == threshold && equal < need)) {
      // Kept entries before i: every greater one, and the first `need` equal ones.
      const uint32_t at = greater + (equal < need ? equal : need);
      indices_out[at] = static_cast<uint16_t>(i);
      values_out[at] = v;
    }
    greater += a > threshold ? 1U : 0U;
    equal += a == threshold ? 1U : 0U;
  }
  __syncthreads();  // the next chunk reuses tile[] and scan_storage
}

}  // namespace cohort::kernels
