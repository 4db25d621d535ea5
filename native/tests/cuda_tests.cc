// Native CUDA tests: add_scaled_kernel against its CPU twin, bit for bit, over sizes that exercise a
// partial block, n == 0 and the grid-stride loop. Exits 77 (ctest SKIP_RETURN_CODE) without a device.
// Shape suffixes: _N = flat element count.
#include <cuda_runtime_api.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/add_scaled.h"
#include "test_data.h"
#include "test_harness.h"

namespace {

constexpr int kSkip = 77;

#define REQUIRE_CUDA(expr)                                                                         \
  do {                                                                                           \
    const cudaError_t status_ = (expr);                                                          \
    if (status_ != cudaSuccess)                                                                  \
      ::cohort::test::fail(__FILE__, __LINE__, #expr ": " + std::string(cudaGetErrorString(status_))); \
  } while (0)

// Device memory for n floats (at least one, so even n == 0 gets a real pointer), freed on scope exit.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t n) { REQUIRE_CUDA(cudaMalloc(reinterpret_cast<void**>(&ptr_), (n > 0 ? n : 1) * sizeof(float))); }
  ~DeviceBuffer() { cudaFree(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  float* get() const { return ptr_; }

 private:
  float* ptr_ = nullptr;
};

std::vector<float> run_on_device(const std::vector<float>& x_N, const std::vector<float>& y_N, float alpha) {
  const size_t n = x_N.size();
  const DeviceBuffer x(n), y(n), out(n);
  std::vector<float> out_N(n);
  const size_t bytes = n * sizeof(float);
  if (n > 0) {
    REQUIRE_CUDA(cudaMemcpy(x.get(), x_N.data(), bytes, cudaMemcpyHostToDevice));
    REQUIRE_CUDA(cudaMemcpy(y.get(), y_N.data(), bytes, cudaMemcpyHostToDevice));
  }
  REQUIRE_CUDA(cohort::kernels::launch_add_scaled(out.get(), x.get(), y.get(), alpha, static_cast<int64_t>(n), nullptr));
  REQUIRE_CUDA(cudaDeviceSynchronize());
  if (n > 0) {
    REQUIRE_CUDA(cudaMemcpy(out_N.data(), out.get(), bytes, cudaMemcpyDeviceToHost));
  }
  return out_N;
}

}  // namespace

COHORT_TEST(add_scaled_kernel_is_bit_identical_to_cpu_reference) {
  // 0, a partial block, exactly one block, a block plus one, ~1M, and past the grid cap (65535 * 256).
  for (const int64_t n : {int64_t{0}, int64_t{1}, int64_t{255}, int64_t{256}, int64_t{257},
                          int64_t{1'000'003}, int64_t{65'535} * 256 + 1'001}) {
    const std::vector<float> x_N = cohort::test::make_vector(n, 11);
    const std::vector<float> y_N = cohort::test::make_vector(n, 12);
    const float alpha = -0.37f;
    std::vector<float> expected_N(x_N.size());
    cohort::kernels::add_scaled_ref(expected_N.data(), x_N.data(), y_N.data(), alpha, n);
    const std::vector<float> actual_N = run_on_device(x_N, y_N, alpha);
    if (std::memcmp(actual_N.data(), expected_N.data(), expected_N.size() * sizeof(float)) != 0) {
      cohort::test::fail(__FILE__, __LINE__, "kernel differs from add_scaled_ref at n=" + std::to_string(n));
    }
  }
}

// See cpu_tests.cc add_scaled_rounds_once_like_fma: the kernel must fuse too.
COHORT_TEST(add_scaled_kernel_rounds_once_like_fma) {
  const std::vector<float> x_N = {1.0f + 0x1p-23f};
  const std::vector<float> y_N = {1.0f - 0x1p-23f};
  const float alpha = 0x1p-24f * (1.0f + 0x1p-23f);
  REQUIRE_EQ(run_on_device(x_N, y_N, alpha)[0], x_N[0]);
}

int main() {
  int devices = 0;
  const cudaError_t status = cudaGetDeviceCount(&devices);
  if (status != cudaSuccess || devices == 0) {
    std::printf("SKIP native_cuda_tests: no CUDA device (%s)\n",
                status != cudaSuccess ? cudaGetErrorString(status) : "0 devices");
    return kSkip;
  }
  return cohort::test::run_all();
}
