// The whole-model encode on a CUDA device (see device_encode.h).
#include "core/device_encode.h"

#if defined(COHORT_HAVE_CUDA_KERNELS)
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/chunk_geometry.h"
#include "kernels/encode_batch.h"

namespace cohort::detail {
namespace {

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw std::runtime_error(std::string("device encode: ") + what + " failed: " + cudaGetErrorString(status));
  }
}

// A cudaMalloc'd buffer freed on scope exit.
class DeviceBytes {
 public:
  explicit DeviceBytes(size_t bytes) { check(cudaMalloc(&ptr_, bytes > 0 ? bytes : 1), "cudaMalloc"); }
  ~DeviceBytes() { cudaFree(ptr_); }
  DeviceBytes(const DeviceBytes&) = delete;
  DeviceBytes& operator=(const DeviceBytes&) = delete;
  template <class T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  void* ptr_ = nullptr;
};

}  // namespace

bool encode_on_device(const std::vector<codec::ChunkPlan>& plans, const std::vector<DeviceEncodeBuffers>& buffers,
                      float beta, cudaStream_t stream, std::vector<codec::EncodedTensor>& out) {
  out.clear();
  if (plans.size() != buffers.size() || plans.empty()) {
    throw std::invalid_argument("device encode: one buffer set per plan, at least one");
  }
  std::vector<kernels::EncodeTensor> table;
  size_t kept = 0;
  for (size_t t = 0; t < plans.size(); ++t) {
    table.push_back({kernels::chunk_geometry_of(plans[t]), buffers[t].ef, buffers[t].delta, buffers[t].ef_next});
    kept += static_cast<size_t>(plans[t].total_kept());
  }
  const int count = static_cast<int>(table.size());
  const DeviceBytes indices(kept * sizeof(uint16_t));
  const DeviceBytes codes(kept);
  const DeviceBytes scratch(kernels::encode_batch_scratch_bytes(table.data(), count));
  std::vector<kernels::QuantResult> results(table.size());
  bool finite = false;
  check(kernels::encode_batch(table.data(), count, beta, indices.as<uint16_t>(), codes.as<uint8_t>(), scratch.as<void>(),
                              stream, results.data(), &finite),
        "encode_batch");
  if (!finite) return false;
  std::vector<uint16_t> host_indices(kept);
  std::vector<uint8_t> host_codes(kept);
  check(cudaMemcpy(host_indices.data(), indices.as<uint16_t>(), kept * sizeof(uint16_t), cudaMemcpyDeviceToHost),
        "copying the indices");
  check(cudaMemcpy(host_codes.data(), codes.as<uint8_t>(), kept, cudaMemcpyDeviceToHost), "copying the codes");
  out.resize(plans.size());
  size_t at = 0;
  for (size_t t = 0; t < plans.size(); ++t) {
    const auto k = static_cast<size_t>(plans[t].total_kept());
    codec::EncodedTensor& e = out[t];
    e.quant.shift = results[t].shift;
    for (int b = 0; b < kernels::kCodeBins; ++b) e.quant.lookup[static_cast<size_t>(b)] = results[t].lookup[b];
    e.indices.assign(host_indices.begin() + static_cast<std::ptrdiff_t>(at),
                     host_indices.begin() + static_cast<std::ptrdiff_t>(at + k));
    e.codes.assign(host_codes.begin() + static_cast<std::ptrdiff_t>(at), host_codes.begin() + static_cast<std::ptrdiff_t>(at + k));
    at += k;
  }
  return true;
}

}  // namespace cohort::detail
#endif
