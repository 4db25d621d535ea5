// How many CUDA devices the kernels' runtime can use; internal to the engine (see build_info.h).
#pragma once

namespace cohort::detail {

// 0 when the kernels were not compiled, or there is no driver or no device; never throws.
int cuda_device_count() noexcept;

}  // namespace cohort::detail
