// Process-wide CPU tuning (see include/cohort/cpu_runtime.h).
#include "cohort/cpu_runtime.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <climits>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace cohort {
namespace {

// OpenBLAS's thread setter, looked up in the BLAS already loaded by libtorch (Debian: libblas.so.3 from
// the openblas-pthread alternative). Absent with MKL or the reference BLAS: then null.
using SetThreads = void (*)(int);
SetThreads openblas_set_num_threads_fn() {
  for (const char* lib : {"libblas.so.3", "libopenblas.so.0"}) {
    if (void* handle = dlopen(lib, RTLD_NOW | RTLD_NOLOAD)) {
      if (void* fn = dlsym(handle, "openblas_set_num_threads")) return reinterpret_cast<SetThreads>(fn);
    }
  }
  return nullptr;
}

}  // namespace

CpuRuntime configure_cpu_runtime(int threads) {
  CpuRuntime out{0, 1, false};
#if defined(__GLIBC__)
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
  out.malloc_tuned = true;
#endif
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (const SetThreads set = openblas_set_num_threads_fn()) {
    out.blas_threads = threads > 0 ? threads : cores;
    set(out.blas_threads);
    at::set_num_threads(1);
  } else {
    out.intraop_threads = threads > 0 ? threads : cores;  // MKL/other BLAS follow ATen's setting
    at::set_num_threads(out.intraop_threads);
  }
  return out;
}

}  // namespace cohort
