// Chunk geometry (see cohort/codec/chunk_plan.h for the rule).
#include "cohort/codec/chunk_plan.h"

#include <algorithm>
#include <string>

#include "cohort/errors.h"

namespace cohort::codec {

DimSplit split_dimension(int64_t size, int tile_side) {
  if (size < 1) {
    throw InvalidArgumentError(expected_message("a dimension >= 1", "tensor dimension", std::to_string(size)));
  }
  if (tile_side < 1 || tile_side > kMaxTileSide) {
    throw InvalidArgumentError(
        expected_message("a tile side in [1, 64]", "codec tile side", std::to_string(tile_side)));
  }
  const int64_t t = tile_side;
  if (size <= t) {
    return {size, size, 1, size};
  }
  int64_t divisor = 1;
  for (int64_t d = t; d >= 1; --d) {
    if (size % d == 0) {
      divisor = d;
      break;
    }
  }
  if (2 * divisor >= t) {
    return {size, divisor, size / divisor, divisor};
  }
  // Awkward dimension: blocks of T and a shorter last block.
  const int64_t rem = size % t;
  return {size, t, size / t + (rem != 0 ? 1 : 0), rem != 0 ? rem : t};
}

ChunkPlan::ChunkPlan(const std::vector<int64_t>& shape, int tile_side, int topk) : topk_(topk) {
  if (shape.empty() || shape.size() > 2) {
    throw InvalidArgumentError(expected_message("a tensor of rank 1 or 2", "codec tensor",
                                                "rank " + std::to_string(shape.size())));
  }
  if (topk < 1) {
    throw InvalidArgumentError(expected_message("top-k >= 1", "codec top-k", std::to_string(topk)));
  }
  const int64_t r = shape.size() == 2 ? shape[0] : 1;
  const int64_t c = shape.back();
  if (r < 1 || c < 1 || r > kMaxTensorElements / c) {
    throw InvalidArgumentError(expected_message("dimensions >= 1 with at most 2^32-1 elements", "codec tensor",
                                                std::to_string(r) + "x" + std::to_string(c)));
  }
  rows_ = split_dimension(r, tile_side);
  cols_ = split_dimension(c, tile_side);
  // Four chunk classes: full×full, full×last, last×full, last×last.
  const auto kept = [&](int64_t h, int64_t w) { return std::min<int64_t>(topk_, h * w); };
  const int64_t ry = rows_.count - 1;
  const int64_t cx = cols_.count - 1;
  total_kept_ = ry * cx * kept(rows_.block, cols_.block) + ry * kept(rows_.block, cols_.last) +
                cx * kept(rows_.last, cols_.block) + kept(rows_.last, cols_.last);
}

int64_t ChunkPlan::chunk_k(int64_t chunk) const { return std::min<int64_t>(topk_, chunk_size(chunk)); }

}  // namespace cohort::codec
