// The two per-tile leaf kernels of top-k (topk.cc): the sample behind the threshold estimate and the one
// full pass over a chunk. They fold the error feedback on the fly (v = fma(β, e, Δ)), so the encoder reads
// e and Δ once per chunk while the chunk is in cache instead of making a separate fold pass over the
// whole tensor. Two implementations with the same output: AVX2 + FMA where the CPU has them, and a
// portable one; an fma is exactly rounded either way, and selection is integer work on the bit patterns.
#pragma once

#include <cstdint>

namespace cohort::codec::detail {

// scan() without a candidate list: only the bits, the write-back and the finiteness flag.
constexpr uint32_t kNoEstimate = 0xFFFFFFFFU;

// One tile of h rows × w columns whose rows start `stride` floats apart. Its values are
// v = fma(β, e, Δ) when delta is set, else e. With delta and out set, v is also stored to out (which
// may be e itself: each value is read before it is written); out is ignored without delta.
struct TileSource {
  const float* e = nullptr;
  const float* delta = nullptr;
  float beta = 1.0F;
  float* out = nullptr;
  int64_t h = 0;
  int64_t w = 0;
  int64_t stride = 0;
};

struct TileKernels {
  // abs[j] = |v| bits (sign cleared) at in-tile index j·step, for j < 256.
  void (*sample)(const TileSource& t, int64_t step, uint32_t* abs);
  // One pass over the tile in index order (i = r·w + c): bits[i] = v's bit pattern, v stored to out,
  // *bad |= 1 when some v is Inf or NaN. Unless estimate is kNoEstimate, the indices i with
  // |v| bits >= estimate go to cand in ascending order (cand needs h·w + 16 slots: the vector path
  // stores whole groups). Returns the candidate count. Touches the tile at `prefetch` (same geometry,
  // may be null) so the next chunk is on its way while this one is selected.
  int64_t (*scan)(const TileSource& t, uint32_t estimate, uint32_t* bits, uint16_t* cand, uint32_t* bad,
                  const TileSource* prefetch);
};

// The kernels for this CPU, picked once (AVX2 + FMA + POPCNT on x86-64 when present).
const TileKernels& tile_kernels();
// Test hook: forces the portable kernels (true) or restores the CPU's pick (false).
void use_portable_tile_kernels(bool portable);

}  // namespace cohort::codec::detail
