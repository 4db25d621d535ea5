// Codec CUDA kernels (src/kernels: ef_update, topk_chunks, quantize_codes, encode_batch) against the codec's CPU reference
// (cohort/codec) and their CPU twins, bit for bit: same indices, values, codes, shift and lookup bits.
// Exits 77 (ctest SKIP_RETURN_CODE) without a device. Fixed seeds throughout.
// Shape suffixes: _N = flat element count; _K = total kept.
#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cohort/codec/chunk_plan.h"
#include "cohort/codec/encode.h"
#include "cohort/codec/quantize.h"
#include "cohort/codec/topk.h"
#include "kernels/chunk_geometry.h"
#include "kernels/ef_update.h"
#include "kernels/encode_batch.h"
#include "kernels/quantize_codes.h"
#include "kernels/topk_chunks.h"
#include "codec_test_data.h"
#include "encode_batch_case.h"
#include "test_harness.h"

using cohort::codec::ChunkPlan;
using cohort::kernels::ChunkGeometry;
using cohort::test::bits_of;
using cohort::test::datasets;
using cohort::test::describe;
using cohort::test::same_bytes;
using cohort::test::tied_gaussian;

namespace {

constexpr int kSkip = 77;

#define REQUIRE_CUDA(expr)                                                                         \
  do {                                                                                           \
    const cudaError_t status_ = (expr);                                                          \
    if (status_ != cudaSuccess)                                                                  \
      ::cohort::test::fail(__FILE__, __LINE__, #expr ": " + std::string(cudaGetErrorString(status_))); \
  } while (0)

// Device memory for n elements of T (at least one byte's worth, so n == 0 still gets a real pointer).
template <class T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t n) : n_(n) {
    REQUIRE_CUDA(cudaMalloc(reinterpret_cast<void**>(&ptr_), (n > 0 ? n : 1) * sizeof(T)));
  }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) {
    if (n_ > 0) REQUIRE_CUDA(cudaMemcpy(ptr_, host.data(), n_ * sizeof(T), cudaMemcpyHostToDevice));
  }
  ~DeviceBuffer() { cudaFree(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return ptr_; }
  std::vector<T> to_host() const {
    std::vector<T> host(n_);
    if (n_ > 0) REQUIRE_CUDA(cudaMemcpy(host.data(), ptr_, n_ * sizeof(T), cudaMemcpyDeviceToHost));
    return host;
  }

 private:
  size_t n_ = 0;
  T* ptr_ = nullptr;
};

struct DeviceEncoding {
  std::vector<uint16_t> indices_K;
  std::vector<float> values_K;
  std::vector<uint8_t> codes_K;
  cohort::kernels::QuantResult quant;
};

// top-k then quantization on the device, over data already there.
DeviceEncoding encode_on_device(const float* data_N, const ChunkGeometry& g) {
  const auto kept = static_cast<size_t>(g.total_kept());
  const DeviceBuffer<uint16_t> indices(kept);
  const DeviceBuffer<float> values(kept);
  const DeviceBuffer<uint8_t> codes(kept);
  const DeviceBuffer<char> scratch(cohort::kernels::quantize_codes_scratch_bytes(g));
  DeviceEncoding out;
  REQUIRE_CUDA(cohort::kernels::launch_topk_chunks(data_N, g, indices.get(), values.get(), nullptr));
  REQUIRE_CUDA(cohort::kernels::quantize_codes(values.get(), g, codes.get(), scratch.get(), nullptr, &out.quant));
  REQUIRE_CUDA(cudaDeviceSynchronize());
  out.indices_K = indices.to_host();
  out.values_K = values.to_host();
  out.codes_K = codes.to_host();
  return out;
}

void require_same_quant(const cohort::kernels::QuantResult& got, const cohort::codec::QuantParams& want) {
  REQUIRE_EQ(bits_of(got.shift), bits_of(want.shift));
  for (int b = 0; b < cohort::kernels::kCodeBins; ++b) {
    REQUIRE_EQ(bits_of(got.lookup[b]), bits_of(want.lookup[static_cast<size_t>(b)]));
  }
}

// Runs every dataset of (shape, tile, topk) through the kernels and the codec reference.
void check_encoding(const std::vector<int64_t>& shape, int tile, int topk, uint32_t seed) {
  const ChunkPlan plan(shape, tile, topk);
  const ChunkGeometry g = cohort::kernels::chunk_geometry_of(plan);
  const auto kept = static_cast<size_t>(plan.total_kept());
  for (const auto& data_N : datasets(plan.numel(), seed)) {
    const DeviceBuffer<float> data(data_N);
    const DeviceEncoding got = encode_on_device(data.get(), g);
    std::vector<uint16_t> want_idx(kept);
    std::vector<float> want_val(kept);
    std::vector<uint8_t> want_codes(kept);
    cohort::codec::select_topk(data_N.data(), plan, want_idx.data(), want_val.data());
    const auto want = cohort::codec::quantize_values(want_val.data(), plan, want_codes.data());
    if (!same_bytes(got.indices_K, want_idx) || !same_bytes(got.values_K, want_val)) {
      cohort::test::fail(__FILE__, __LINE__, "topk_chunks_kernel differs: " + describe(shape, tile, topk));
    }
    if (!same_bytes(got.codes_K, want_codes)) {
      cohort::test::fail(__FILE__, __LINE__, "quantize_codes codes differ: " + describe(shape, tile, topk));
    }
    require_same_quant(got.quant, want);
  }
}

}  // namespace

COHORT_TEST(topk_and_quantize_kernels_match_codec_reference) {
  const std::vector<std::vector<int64_t>> shapes = {
      {128, 192}, {67, 130}, {768}, {4099}, {10, 7}, {64, 64}, {131, 64}, {96, 100}, {1}, {3, 1},
  };
  uint32_t seed = 100;
  for (const auto& shape : shapes) {
    for (const int tile : {64, 16}) {
      for (const int topk : {64, 37, 5000}) {  // 5000: every chunk dense
        check_encoding(shape, tile, topk, ++seed);
      }
    }
  }
}

// More chunks than the 65535-block grid cap (and than one block of chunk threads): the grid-stride loops.
COHORT_TEST(kernels_walk_past_the_grid_cap) {
  check_encoding({5'000'000}, 64, 37, 7);  // 78125 chunks of 64
}

COHORT_TEST(ef_update_kernel_is_bit_identical_to_cpu_twin) {
  for (const int64_t n : {int64_t{0}, int64_t{1}, int64_t{257}, int64_t{1'000'003}, int64_t{65'535} * 256 + 1'001}) {
    const std::vector<float> start_N = cohort::test::make_vector(n, 31);
    const std::vector<float> delta_N = cohort::test::make_vector(n, 32);
    std::vector<float> want_N = start_N;
    cohort::kernels::ef_update_ref(want_N.data(), delta_N.data(), 0.95F, n);
    const DeviceBuffer<float> ef(start_N), delta(delta_N);
    REQUIRE_CUDA(cohort::kernels::launch_ef_update(ef.get(), delta.get(), 0.95F, n, nullptr));
    REQUIRE_CUDA(cudaDeviceSynchronize());
    if (!same_bytes(ef.to_host(), want_N)) {
      cohort::test::fail(__FILE__, __LINE__, "ef_update_kernel differs from ef_update_ref at n=" + std::to_string(n));
    }
  }
}

// The miner's pipeline on the device (e ← fma(β, e, Δ), top-k, quantize) yields the payload of
// codec::encode_with_feedback.
COHORT_TEST(device_pipeline_matches_encode_with_feedback) {
  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{128, 192}, std::vector<int64_t>{67, 130}}) {
    const ChunkPlan plan(shape, 64, 37);
    const ChunkGeometry g = cohort::kernels::chunk_geometry_of(plan);
    std::vector<float> ef_N = tied_gaussian(plan.numel(), 41);
    const std::vector<float> delta_N = tied_gaussian(plan.numel(), 42);
    const DeviceBuffer<float> ef(ef_N), delta(delta_N);
    REQUIRE_CUDA(cohort::kernels::launch_ef_update(ef.get(), delta.get(), 0.9F, plan.numel(), nullptr));
    const DeviceEncoding got = encode_on_device(ef.get(), g);
    const cohort::codec::EncodedTensor want = cohort::codec::encode_with_feedback(ef_N.data(), delta_N.data(), 0.9F, plan);
    REQUIRE(same_bytes(got.indices_K, want.indices));
    REQUIRE(same_bytes(got.codes_K, want.codes));
    require_same_quant(got.quant, want.quant);
  }
}

// The whole model's encode in one call: same payload fields as encode_with_feedback tensor by tensor, the
// residual in ef_next, e untouched; a non-finite fold is reported and still leaves e as it was.
void check_encode_batch(const cohort::test::EncodeBatchCase& c, int poison_tensor) {
  const size_t count = c.plans.size();
  std::vector<std::unique_ptr<DeviceBuffer<float>>> ef, delta, next;
  std::vector<cohort::kernels::EncodeTensor> table;
  for (size_t t = 0; t < count; ++t) {
    std::vector<float> d = c.delta_N[t];
    if (static_cast<int>(t) == poison_tensor) d[d.size() / 2] = std::numeric_limits<float>::quiet_NaN();
    ef.push_back(std::make_unique<DeviceBuffer<float>>(c.ef_N[t]));
    delta.push_back(std::make_unique<DeviceBuffer<float>>(d));
    next.push_back(std::make_unique<DeviceBuffer<float>>(c.ef_N[t].size()));
    table.push_back({c.geometries[t], ef[t]->get(), delta[t]->get(), next[t]->get()});
  }
  const DeviceBuffer<uint16_t> indices(c.indices_K.size());
  const DeviceBuffer<uint8_t> codes(c.codes_K.size());
  const DeviceBuffer<char> scratch(cohort::kernels::encode_batch_scratch_bytes(table.data(), static_cast<int>(count)));
  std::vector<cohort::kernels::QuantResult> results(count);
  bool finite = false;
  REQUIRE_CUDA(cohort::kernels::encode_batch(table.data(), static_cast<int>(count), c.beta, indices.get(), codes.get(),
                                             scratch.get(), nullptr, results.data(), &finite));
  for (size_t t = 0; t < count; ++t) REQUIRE(same_bytes(ef[t]->to_host(), c.ef_N[t]));
  if (poison_tensor >= 0) {
    REQUIRE(!finite);
    return;
  }
  REQUIRE(finite);
  if (!same_bytes(indices.to_host(), c.indices_K)) cohort::test::fail(__FILE__, __LINE__, "encode_batch indices differ");
  if (!same_bytes(codes.to_host(), c.codes_K)) cohort::test::fail(__FILE__, __LINE__, "encode_batch codes differ");
  for (size_t t = 0; t < count; ++t) {
    require_same_quant(results[t], c.quant[t]);
    if (!same_bytes(next[t]->to_host(), c.ef_after_N[t])) {
      cohort::test::fail(__FILE__, __LINE__, "encode_batch residual differs in tensor " + std::to_string(t));
    }
  }
}

COHORT_TEST(encode_batch_matches_encode_with_feedback) {
  for (const int topk : {37, 5000}) {
    check_encode_batch(cohort::test::encode_batch_case(cohort::test::model_like_shapes(), 64, topk, 70), -1);
  }
  // Past the 65535-block grid cap, with small tensors after the big one (slot lookup near the end).
  check_encode_batch(cohort::test::encode_batch_case({{96, 96}, {5'000'000}, {96}, {3, 1}}, 64, 37, 80), -1);
  check_encode_batch(cohort::test::encode_batch_case(cohort::test::model_like_shapes(), 64, 37, 90), 3);
}

COHORT_TEST(launchers_reject_bad_geometry) {
  ChunkGeometry too_big{{128, 128, 1, 128}, {128, 128, 1, 128}, 37};  // a 16384-element chunk
  REQUIRE_EQ(cohort::kernels::launch_topk_chunks(nullptr, too_big, nullptr, nullptr, nullptr), cudaErrorInvalidValue);
  cohort::kernels::QuantResult q;
  REQUIRE_EQ(cohort::kernels::quantize_codes(nullptr, ChunkGeometry{}, nullptr, nullptr, nullptr, &q),
             cudaErrorInvalidValue);
  bool finite = true;
  REQUIRE_EQ(cohort::kernels::encode_batch(nullptr, 0, 0.9F, nullptr, nullptr, nullptr, nullptr, &q, &finite),
             cudaErrorInvalidValue);
}

int main() {
  int devices = 0;
  const cudaError_t status = cudaGetDeviceCount(&devices);
  if (status != cudaSuccess || devices == 0) {
    std::printf("SKIP native_codec_cuda_tests: no CUDA device (%s)\n",
                status != cudaSuccess ? cudaGetErrorString(status) : "0 devices");
    return kSkip;
  }
  return cohort::test::run_all();
}
