// Process-wide tuning for training on the CPU. Measured on the 2-core CI machine (devnet, batch 2 × 128):
// 406 tokens/s untuned → 1370 tokens/s tuned (docs/engine.md).
#pragma once

namespace cohort {

// What configure_cpu_runtime did, for logs.
struct CpuRuntime {
  int blas_threads;     // threads given to OpenBLAS (0: not OpenBLAS, left alone)
  int intraop_threads;  // ATen's own pool
  bool malloc_tuned;    // glibc keeps freed memory
};

// 1. glibc keeps freed memory instead of returning each step's large tensors to the kernel (no mmap/munmap
//    churn: about 5× fewer page faults). 2. OpenBLAS gets `threads` threads (0: every core) and ATen's own
//    intra-op pool one: two busy-waiting pools on the same cores slowed training by about 2×.
// Idempotent; affects the whole process, so engines call it once, for CPU placements only.
CpuRuntime configure_cpu_runtime(int threads);

}  // namespace cohort
