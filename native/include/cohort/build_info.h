// What this engine binary was built with and what it finds at run time; surfaced as buildInfo() in TS.
#pragma once

#include <optional>
#include <string>

namespace cohort {

struct BuildInfo {
  std::string engine_version;
  std::string torch_version;  // libtorch headers compiled against (TORCH_VERSION)
  bool cuda_kernels_compiled;
  std::optional<std::string> cuda_compiler_version;  // nvcc version; nullopt without kernels
  std::optional<std::string> cuda_architectures;     // CMake list, e.g. "80;90"; nullopt without kernels
  int cuda_device_count;  // devices the kernels' CUDA runtime sees; 0 without kernels, driver or device
};

// Reads compile-time facts and counts CUDA devices; the first call may initialise the CUDA driver
// (up to a second on big machines), so call it at start-up, not per request.
BuildInfo build_info();

}  // namespace cohort
