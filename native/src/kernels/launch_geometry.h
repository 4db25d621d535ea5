// Launch geometry of the kernels (device code only). The fused model kernels put rows on grid y and columns
// on grid x, both walked by grid-stride loops, so no thread divides a flat index (64-bit division costs
// more than the memory traffic of a bf16 element); the codec kernels walk chunks on a capped 1-D grid.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace cohort::kernels::geometry {

constexpr int kThreads = 256;
constexpr int64_t kMaxGridX = 65535;  // enough blocks to fill any GPU; the loops cover the rest
constexpr int64_t kMaxGridY = 65535;  // CUDA's limit for grid y

// Blocks for `items` at `per_block` items a block, capped at kMaxGridX (the grid-stride loops cover the rest).
inline unsigned int blocks_for(int64_t items, int64_t per_block) {
  const int64_t blocks = (items + per_block - 1) / per_block;
  return static_cast<unsigned int>(blocks < kMaxGridX ? blocks : kMaxGridX);
}

// Scratch carving: every part of a kernel's scratch starts 8-byte aligned (fp64 and pointers).
constexpr size_t align8(size_t bytes) { return (bytes + 7) / 8 * 8; }

inline dim3 rows_by_columns(int64_t rows, int64_t columns) {
  const int64_t x = (columns + kThreads - 1) / kThreads;
  return dim3(static_cast<unsigned>(x < kMaxGridX ? x : kMaxGridX),
              static_cast<unsigned>(rows < kMaxGridY ? rows : kMaxGridY));
}

}  // namespace cohort::kernels::geometry
