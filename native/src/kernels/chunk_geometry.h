// Chunk geometry for the codec kernels: the same integer arithmetic as cohort::codec::ChunkPlan
// (cohort/codec/chunk_plan.h), but a plain struct usable on host and device, so nvcc never sees the codec
// headers and every kernel derives a chunk's shape, origin and output offset in O(1) without tables.
// Compiles under nvcc and under a plain C++ compiler.
#pragma once

#include <cstdint>

#if !defined(COHORT_HOST_DEVICE)
#if defined(__CUDACC__)
#define COHORT_HOST_DEVICE __host__ __device__
#else
#define COHORT_HOST_DEVICE
#endif
#endif

namespace cohort::kernels {

// Largest chunk (kMaxTileSide² in the codec): in-chunk indices fit 12 bits.
constexpr int kMaxChunkElements = 4096;

// One dimension cut into `count` blocks of `block`, the last of which has `last` elements (codec DimSplit).
struct DimGeometry {
  int64_t size = 0;
  int64_t block = 0;
  int64_t count = 0;
  int64_t last = 0;

  COHORT_HOST_DEVICE int64_t length(int64_t i) const { return i + 1 == count ? last : block; }
};

// One tensor's chunks: tiles (row block y, column block x), row-major over (y, x); each keeps
// min(topk, size) entries, written contiguously in chunk order (the codec's canonical order).
struct ChunkGeometry {
  DimGeometry rows;
  DimGeometry cols;
  int64_t topk = 0;

  COHORT_HOST_DEVICE int64_t chunk_count() const { return rows.count * cols.count; }
  COHORT_HOST_DEVICE int64_t chunk_rows(int64_t chunk) const { return rows.length(chunk / cols.count); }
  COHORT_HOST_DEVICE int64_t chunk_cols(int64_t chunk) const { return cols.length(chunk % cols.count); }
  COHORT_HOST_DEVICE int64_t chunk_size(int64_t chunk) const { return chunk_rows(chunk) * chunk_cols(chunk); }
  COHORT_HOST_DEVICE int64_t kept(int64_t h, int64_t w) const { return topk < h * w ? topk : h * w; }
  COHORT_HOST_DEVICE int64_t chunk_k(int64_t chunk) const { return kept(chunk_rows(chunk), chunk_cols(chunk)); }
  // Row-major flat offset of the chunk's first element in the tensor.
  COHORT_HOST_DEVICE int64_t chunk_origin(int64_t chunk) const {
    return (chunk / cols.count) * rows.block * cols.size + (chunk % cols.count) * cols.block;
  }
  // Flat (row-major) tensor index of in-chunk index i of `chunk`.
  COHORT_HOST_DEVICE int64_t flat_index(int64_t chunk, int64_t i) const {
    const int64_t w = chunk_cols(chunk);
    return chunk_origin(chunk) + (i / w) * cols.size + (i % w);
  }
  // Σ chunk_k over the whole row band of height h (all column blocks).
  COHORT_HOST_DEVICE int64_t band_kept(int64_t h) const {
    return (cols.count - 1) * kept(h, cols.block) + kept(h, cols.last);
  }
  // Where the chunk's kept entries start in the canonical output (Σ chunk_k of earlier chunks). O(1):
  // every earlier band is full-height, and every earlier chunk of this band is full-width.
  COHORT_HOST_DEVICE int64_t chunk_offset(int64_t chunk) const {
    const int64_t y = chunk / cols.count;
    const int64_t x = chunk % cols.count;
    return y * band_kept(rows.block) + x * kept(rows.length(y), cols.block);
  }
  COHORT_HOST_DEVICE int64_t total_kept() const {
    return (rows.count - 1) * band_kept(rows.block) + band_kept(rows.last);
  }
  // What the block-per-chunk kernels can take: at least one chunk, a top-k, chunks of at most
  // kMaxChunkElements (the launchers refuse anything else).
  COHORT_HOST_DEVICE bool fits_a_block() const {
    return chunk_count() >= 1 && topk >= 1 && rows.block >= 1 && cols.block >= 1 &&
           rows.block * cols.block <= kMaxChunkElements;
  }
};

// Host-side conversion from anything shaped like codec::ChunkPlan (row_split(), col_split(), topk()); a
// template so this header needs no codec include and stays nvcc-clean.
template <class Plan>
ChunkGeometry chunk_geometry_of(const Plan& plan) {
  const auto& r = plan.row_split();
  const auto& c = plan.col_split();
  return {{r.size, r.block, r.count, r.last}, {c.size, c.block, c.count, c.last}, plan.topk()};
}

}  // namespace cohort::kernels
