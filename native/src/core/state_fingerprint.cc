// The state fingerprint (see include/cohort/state_fingerprint.h).
#include "cohort/state_fingerprint.h"

#include <c10/core/GradMode.h>

#include <cstring>

#include "cohort/errors.h"

namespace cohort {
namespace {

void put_u32(Blake2b& h, uint32_t v) {
  uint8_t b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  h.update(b, sizeof b);
}

void put_u64(Blake2b& h, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  h.update(b, sizeof b);
}

}  // namespace

Blake2b256Digest state_fingerprint(const std::vector<ParamSpec>& specs, const std::vector<at::Tensor>& params) {
  if (specs.size() != params.size()) {
    throw InvalidArgumentError("Expected " + std::to_string(specs.size()) + " parameters for the state fingerprint but received " +
                               std::to_string(params.size()));
  }
  static_assert(sizeof(float) == 4, "fp32 is 4 bytes");
  c10::NoGradGuard no_grad;
  Blake2b h(32);
  for (size_t i = 0; i < specs.size(); ++i) {
    put_u32(h, static_cast<uint32_t>(specs[i].name.size()));
    h.update(specs[i].name.data(), specs[i].name.size());
    put_u32(h, static_cast<uint32_t>(params[i].dim()));
    for (const int64_t d : params[i].sizes()) put_u64(h, static_cast<uint64_t>(d));
    // x86-64 and every CUDA host are little-endian: fp32 bytes in memory are the LE encoding.
    const at::Tensor values = params[i].detach().to(at::kCPU, at::kFloat).contiguous();
    h.update(values.data_ptr<float>(), static_cast<size_t>(values.numel()) * sizeof(float));
  }
  return h.final256();
}

}  // namespace cohort
