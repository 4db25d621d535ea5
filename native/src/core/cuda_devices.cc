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

}  // namespace cohort::detail
