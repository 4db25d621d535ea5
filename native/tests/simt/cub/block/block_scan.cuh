// SIMT emulator (see ../../simt.h): cub::BlockScan's ExclusiveSum, the one collective the codec kernels
// use, built on the emulator's __syncthreads so the emulated block really exchanges through shared memory.
#pragma once

#include "simt.h"

namespace cub {

template <class T, int kThreads>
class BlockScan {
 public:
  struct TempStorage {
    T values[kThreads];
  };

  explicit BlockScan(TempStorage& storage) : storage_(storage) {}

  // output = Σ input over the threads with a lower index; every thread of the block must call it. Like
  // cub, no barrier at the end: reusing the storage needs the caller's __syncthreads, and an emulated
  // kernel that forgets it reads another scan's values.
  void ExclusiveSum(T input, T& output) {
    const unsigned int tid = threadIdx.x;
    storage_.values[tid] = input;
    __syncthreads();
    T sum{};
    for (unsigned int i = 0; i < tid; ++i) sum += storage_.values[i];
    output = sum;
  }

 private:
  TempStorage& storage_;
};

}  // namespace cub
