// Native CPU tests (no Node, no GPU): add_scaled against its CPU twin bit for bit and against at::add,
// its error contract, describe_exception's mapping to the closed set of kinds, and build_info.
// Shape suffixes: _N = flat element count.
#include <ATen/ATen.h>
#include <torch/version.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "cohort/build_info.h"
#include "cohort/errors.h"
#include "cohort/ops.h"
#include "cohort/version.h"
#include "kernels/add_scaled.h"
#include "test_data.h"
#include "test_harness.h"

namespace {

using cohort::test::make_vector;

at::Tensor to_tensor(std::vector<float>& values_N) {
  return at::from_blob(values_N.data(), {static_cast<int64_t>(values_N.size())}, at::kFloat).clone();
}

void check_bit_identical(const at::Tensor& actual_N, const std::vector<float>& expected_N) {
  REQUIRE_EQ(actual_N.numel(), static_cast<int64_t>(expected_N.size()));
  const float* actual = actual_N.data_ptr<float>();
  for (size_t i = 0; i < expected_N.size(); ++i) {
    if (std::memcmp(&actual[i], &expected_N[i], sizeof(float)) != 0) {
      cohort::test::fail(__FILE__, __LINE__,
                         "element " + std::to_string(i) + ": " + std::to_string(actual[i]) +
                             " != reference " + std::to_string(expected_N[i]));
    }
  }
}

std::vector<float> reference(const std::vector<float>& x_N, const std::vector<float>& y_N, float alpha) {
  std::vector<float> out_N(x_N.size());
  cohort::kernels::add_scaled_ref(out_N.data(), x_N.data(), y_N.data(), alpha, static_cast<int64_t>(x_N.size()));
  return out_N;
}

template <class Thrown>
cohort::ErrorInfo describe_thrown(const Thrown& thrown) {
  return cohort::describe_exception(std::make_exception_ptr(thrown));
}

}  // namespace

COHORT_TEST(add_scaled_is_bit_identical_to_cpu_reference) {
  for (const int64_t n : {int64_t{0}, int64_t{1}, int64_t{257}, int64_t{1'000'003}}) {
    std::vector<float> x_N = make_vector(n, 1);
    std::vector<float> y_N = make_vector(n, 2);
    check_bit_identical(cohort::add_scaled(to_tensor(x_N), to_tensor(y_N), -0.37), reference(x_N, y_N, -0.37f));
  }
}

// x + alpha*y lies just below a float32 midpoint: one rounding (fma) gives x, multiply-then-add gives
// x + 2^-22. Guards against a reference that is not fused on some platform.
COHORT_TEST(add_scaled_rounds_once_like_fma) {
  std::vector<float> x_N = {1.0f + 0x1p-23f};
  std::vector<float> y_N = {1.0f - 0x1p-23f};
  const double alpha = 0x1p-24 * (1.0 + 0x1p-23);
  const at::Tensor out_N = cohort::add_scaled(to_tensor(x_N), to_tensor(y_N), alpha);
  REQUIRE_EQ(out_N.data_ptr<float>()[0], x_N[0]);
}

COHORT_TEST(add_scaled_agrees_with_aten_add) {
  std::vector<float> x_N = make_vector(100'000, 3);
  std::vector<float> y_N = make_vector(100'000, 4);
  const at::Tensor x = to_tensor(x_N).slice(0, 8);  // past the edge values, whose fma may overflow
  const at::Tensor y = to_tensor(y_N).slice(0, 8);
  REQUIRE(at::allclose(cohort::add_scaled(x, y, 1.5), at::add(x, y, 1.5), 1e-6, 1e-6));
}

COHORT_TEST(add_scaled_reads_strided_inputs) {
  std::vector<float> x_N = make_vector(2'000, 5);
  std::vector<float> y_N = make_vector(1'000, 6);
  const at::Tensor x_strided = to_tensor(x_N).slice(0, 0, 2'000, 2);
  std::vector<float> x_gathered(1'000);
  for (size_t i = 0; i < x_gathered.size(); ++i) x_gathered[i] = x_N[2 * i];
  check_bit_identical(cohort::add_scaled(x_strided, to_tensor(y_N), 2.0), reference(x_gathered, y_N, 2.0f));
}

COHORT_TEST(add_scaled_out_writes_into_caller_memory_and_may_alias) {
  std::vector<float> x_N = make_vector(4'099, 7);
  std::vector<float> y_N = make_vector(4'099, 8);
  const std::vector<float> expected = reference(x_N, y_N, 0.5f);
  at::Tensor x = at::from_blob(x_N.data(), {4'099}, at::kFloat);
  cohort::add_scaled_out(x, x, to_tensor(y_N), 0.5);  // in place: out aliases x
  check_bit_identical(x, expected);
}

COHORT_TEST(add_scaled_rejects_bad_arguments) {
  const at::Tensor x = at::zeros({4});
  REQUIRE_THROWS_AS(cohort::add_scaled(x, at::zeros({5}), 1.0), cohort::InvalidArgumentError);
  REQUIRE_THROWS_AS(cohort::add_scaled(x, x, std::nan("")), cohort::InvalidArgumentError);
  REQUIRE_THROWS_AS(cohort::add_scaled(x, x, std::numeric_limits<double>::infinity()), cohort::InvalidArgumentError);
  REQUIRE_THROWS_AS(cohort::add_scaled(x, x, 1e39), cohort::InvalidArgumentError);  // overflows float32
  REQUIRE_THROWS_AS(cohort::add_scaled(x, at::zeros({4}, at::kDouble), 1.0), cohort::InvalidArgumentError);
  REQUIRE_THROWS_AS(cohort::add_scaled(at::zeros({2, 2}), x, 1.0), cohort::InvalidArgumentError);
  REQUIRE_THROWS_AS(cohort::add_scaled(at::Tensor(), x, 1.0), cohort::InvalidArgumentError);
  at::Tensor strided_out = at::zeros({8}).slice(0, 0, 8, 2);
  REQUIRE_THROWS_AS(cohort::add_scaled_out(strided_out, x, x, 1.0), cohort::InvalidArgumentError);
}

COHORT_TEST(add_scaled_error_uses_expected_phrasing) {
  try {
    cohort::add_scaled(at::zeros({4}), at::zeros({5}), 1.0);
  } catch (const cohort::InvalidArgumentError& e) {
    REQUIRE_EQ(std::string(e.what()), std::string("Expected a tensor of 4 elements for y but received a Float "
                                                "tensor of shape [5] on cpu"));
    REQUIRE_EQ(std::string(e.kind()), std::string("InvalidArgumentError"));
    return;
  }
  REQUIRE(false);
}

COHORT_TEST(describe_exception_maps_to_closed_set) {
  REQUIRE_EQ(std::string(describe_thrown(cohort::InvalidArgumentError("a")).kind), "InvalidArgumentError");
  REQUIRE_EQ(std::string(describe_thrown(cohort::IllegalStateError("b")).kind), "IllegalStateError");
  REQUIRE_EQ(std::string(describe_thrown(cohort::InternalError("c")).kind), "InternalError");
  REQUIRE_EQ(std::string(describe_thrown(cohort::CudaError("d")).kind), "CudaError");
  const cohort::ErrorInfo oom = describe_thrown(cohort::OutOfMemoryError("e"));
  REQUIRE_EQ(std::string(oom.kind), "OutOfMemoryError");
  REQUIRE_EQ(oom.message, "e");
  REQUIRE_EQ(std::string(describe_thrown(std::bad_alloc()).kind), "OutOfMemoryError");
  REQUIRE_EQ(std::string(describe_thrown(std::runtime_error("f")).kind), "InternalError");
  REQUIRE_EQ(std::string(describe_thrown(42).kind), "InternalError");
}

COHORT_TEST(describe_exception_maps_libtorch_errors) {
  try {
    C10_THROW_ERROR(OutOfMemoryError, "CUDA out of memory");
  } catch (...) {
    const cohort::ErrorInfo info = cohort::describe_exception(std::current_exception());
    REQUIRE_EQ(std::string(info.kind), "OutOfMemoryError");
    REQUIRE_EQ(info.message, "CUDA out of memory");
  }
  try {
    at::mm(at::zeros({2, 3}), at::zeros({2, 3}));  // a real libtorch failure (TORCH_CHECK)
  } catch (...) {
    const cohort::ErrorInfo info = cohort::describe_exception(std::current_exception());
    REQUIRE_EQ(std::string(info.kind), "InternalError");
    REQUIRE_EQ(info.message.substr(0, 10), "libtorch: ");
    REQUIRE(info.message.find("Exception raised from") == std::string::npos);  // no backtrace
    return;
  }
  REQUIRE(false);
}

COHORT_TEST(build_info_is_consistent) {
  const cohort::BuildInfo info = cohort::build_info();
  REQUIRE_EQ(info.engine_version, std::string(cohort::kEngineVersion));
  REQUIRE_EQ(info.torch_version, std::string(TORCH_VERSION));
  REQUIRE_EQ(info.cuda_kernels_compiled, info.cuda_compiler_version.has_value());
  REQUIRE_EQ(info.cuda_kernels_compiled, info.cuda_architectures.has_value());
  REQUIRE(info.cuda_device_count >= 0);
  if (!info.cuda_kernels_compiled) REQUIRE_EQ(info.cuda_device_count, 0);
}

int main() { return cohort::test::run_all(); }
