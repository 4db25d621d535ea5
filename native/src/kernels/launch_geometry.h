// Launch geometry of the fused model kernels (device code only): rows on grid y, columns on grid x, both
// walked by grid-stride loops, so no thread divides a flat index (64-bit division costs more than the
// memory traffic of a bf16 element).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace cohort::kernels::geometry {

constexpr int kThreads = 256;
constexpr int64_t kMaxGridX = 65535;  // enough blocks to fill any GPU; the loops cover the rest
constexpr int64_t kMaxGridY = 65535;  // CUDA's limit for grid y

inline dim3 rows_by_columns(int64_t rows, int64_t columns) {
  const int64_t x = (columns + kThreads - 1) / kThreads;
  return dim3(static_cast<unsigned>(x < kMaxGridX ? x : kMaxGridX),
              static_cast<unsigned>(rows < kMaxGridY ? rows : kMaxGridY));
}

}  // namespace cohort::kernels::geometry
