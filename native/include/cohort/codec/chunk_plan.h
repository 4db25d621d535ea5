// How one tensor is cut into chunks for top-k (protocol §3, docs/wire-format.md §2). Pure integer
// arithmetic, identical in every implementation: encoder, decoder, aggregator and the CUDA kernels all
// derive chunk geometry from here.
//
// A 1-D tensor of length n is the matrix (1, n). Each dimension s is split on its own:
//   s <= T                 one block of s;
//   d = largest divisor of s that is <= T, and 2·d >= T   s/d blocks of d (Templar's rule);
//   otherwise ("awkward": primes, 2·prime, ...)           blocks of T and a shorter last block (s mod T).
// Chunks are the tiles (row block y, column block x), row-major over (y, x); inside a chunk an element's
// index is r·w + c (r, c its row and column within the tile of width w). Each chunk keeps
// k_c = min(topk, chunk size) entries.
#pragma once

#include <cstdint>
#include <vector>

namespace cohort::codec {

// Largest tile side; chunks have at most kMaxTileSide² = 4096 elements, so in-chunk indices fit 12 bits.
constexpr int kMaxTileSide = 64;
// Largest tensor the codec accepts (flat indices travel as uint32).
constexpr int64_t kMaxTensorElements = (int64_t{1} << 32) - 1;

// One dimension cut into `count` blocks of `block`, the last of which has `last` elements.
struct DimSplit {
  int64_t size = 0;
  int64_t block = 0;
  int64_t count = 0;
  int64_t last = 0;

  int64_t length(int64_t i) const { return i + 1 == count ? last : block; }
};

// Splits one dimension (size >= 1, tile_side in [1, kMaxTileSide]) by the rule above.
DimSplit split_dimension(int64_t size, int tile_side);

// The chunk geometry of one tensor.
class ChunkPlan {
 public:
  // shape: rank 1 or 2, every dimension >= 1, at most kMaxTensorElements elements; tile_side in
  // [1, kMaxTileSide]; topk >= 1. Throws InvalidArgumentError otherwise.
  ChunkPlan(const std::vector<int64_t>& shape, int tile_side, int topk);

  int64_t rows() const { return rows_.size; }
  int64_t cols() const { return cols_.size; }
  int64_t numel() const { return rows_.size * cols_.size; }
  int64_t chunk_count() const { return rows_.count * cols_.count; }
  const DimSplit& row_split() const { return rows_; }
  const DimSplit& col_split() const { return cols_; }

  int64_t chunk_rows(int64_t chunk) const { return rows_.length(chunk / cols_.count); }
  int64_t chunk_cols(int64_t chunk) const { return cols_.length(chunk % cols_.count); }
  int64_t chunk_size(int64_t chunk) const { return chunk_rows(chunk) * chunk_cols(chunk); }
  int64_t chunk_k(int64_t chunk) const;
  // Row-major flat offset of the chunk's first element in the tensor.
  int64_t chunk_origin(int64_t chunk) const {
    return (chunk / cols_.count) * rows_.block * cols_.size + (chunk % cols_.count) * cols_.block;
  }
  // Flat (row-major) tensor index of in-chunk index i of `chunk`.
  int64_t flat_index(int64_t chunk, int64_t i) const {
    const int64_t w = chunk_cols(chunk);
    return chunk_origin(chunk) + (i / w) * cols_.size + (i % w);
  }
  // Σ chunk_k over all chunks (computed in O(1) from the four chunk classes).
  int64_t total_kept() const { return total_kept_; }
  // A chunk that keeps every element: its indices are implicit in the `rice` coding.
  bool chunk_dense(int64_t chunk) const { return chunk_k(chunk) == chunk_size(chunk); }
  int topk() const { return topk_; }

 private:
  DimSplit rows_;
  DimSplit cols_;
  int topk_;
  int64_t total_kept_ = 0;
};

}  // namespace cohort::codec
