// When the fused ops can run (see fused_ops.h).
#include <ATen/Context.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>

#include "core/fused_ops.h"

namespace cohort {

bool fused_ops_supported(at::Device device, at::ScalarType compute) {
  if (device.is_cpu()) return compute == at::kBFloat16 || compute == at::kFloat || compute == at::kDouble;
#if defined(COHORT_HAVE_CUDA_KERNELS)
  if (!device.is_cuda() || (compute != at::kBFloat16 && compute != at::kFloat) || !at::hasCUDA()) return false;
  // The kernels launch on the legacy default stream, which is torch's default stream: fall back to the
  // eager ops if anything made another stream current.
  // A libtorch whose CUDA guard cannot name its default stream: no way to know, so the eager ops.
  try {
    const c10::impl::DeviceGuardImplInterface* cuda = c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA);
    const at::Device resolved = device.has_index() ? device : cuda->getDevice();
    return cuda->getStream(resolved) == cuda->getDefaultStream(resolved);
  } catch (const c10::Error&) {
    return false;
  }
#else
  return false;
#endif
}

}  // namespace cohort
