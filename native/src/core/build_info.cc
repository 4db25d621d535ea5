// build_info(): compile-time facts (libtorch headers, nvcc, architectures) plus the CUDA device count.
#include "cohort/build_info.h"

#include <torch/version.h>

#include "cohort/build_config.h"
#include "cohort/version.h"
#include "core/cuda_devices.h"

namespace cohort {
namespace {

std::optional<std::string> non_empty(const char* value) {
  return value[0] == '\0' ? std::nullopt : std::optional<std::string>(value);
}

}  // namespace

BuildInfo build_info() {
  return BuildInfo{
      kEngineVersion,
      TORCH_VERSION,
#if defined(COHORT_HAVE_CUDA_KERNELS)
      true,
#else
      false,
#endif
      non_empty(COHORT_CUDA_COMPILER_VERSION),
      non_empty(COHORT_CUDA_ARCHITECTURES),
      detail::cuda_device_count(),
  };
}

}  // namespace cohort
