// CUDA device discovery that tolerates machines with no driver (CI) and builds without nvcc.
#include "core/cuda_devices.h"

#if defined(COHORT_HAVE_CUDA_KERNELS)
#include <cuda_runtime_api.h>
#endif

namespace cohort::detail {

int cuda_device_count() noexcept {
#if defined(COHORT_HAVE_CUDA_KERNELS)
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // no driver or no device: clear the error so later CUDA calls start clean
    return 0;
  }
  return count;
#else
  return 0;
#endif
}

std::optional<CudaMemory> cuda_memory(int device) noexcept {
#if defined(COHORT_HAVE_CUDA_KERNELS)
  if (device < 0 || device >= cuda_device_count()) return std::nullopt;
  int previous = 0;
  if (cudaGetDevice(&previous) != cudaSuccess || cudaSetDevice(device) != cudaSuccess) {
    cudaGetLastError();
    return std::nullopt;
  }
  size_t free_bytes = 0, total_bytes = 0;
  const bool ok = cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess;
  cudaSetDevice(previous);
  cudaGetLastError();
  if (!ok) return std::nullopt;
  return CudaMemory{free_bytes, total_bytes};
#else
  (void)device;
  return std::nullopt;
#endif
}

}  // namespace cohort::detail
