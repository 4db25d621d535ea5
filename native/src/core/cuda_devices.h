// How many CUDA devices the kernels' runtime can use; internal to the engine (see build_info.h).
#pragma once

#include <cstdint>
#include <optional>

namespace cohort::detail {

// A device's memory as the driver reports it (every process's allocations and torch's cached blocks count
// as used).
struct CudaMemory {
  uint64_t free_bytes = 0;
  uint64_t total_bytes = 0;
};

// 0 when the kernels were not compiled, or there is no driver or no device; never throws.
int cuda_device_count() noexcept;

// Device `device`'s memory now; nullopt without kernels, driver or such a device. Leaves the calling thread's
// current device as it was. The first call in a process that never touched the device creates its context.
std::optional<CudaMemory> cuda_memory(int device) noexcept;

}  // namespace cohort::detail
