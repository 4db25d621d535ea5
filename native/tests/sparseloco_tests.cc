// ErrorFeedback::fold_and_encode on the codec's job threads (codec/parallel_jobs.h): the same payload and
// the same e as codec::encode_with_feedback tensor by tensor, whatever the thread count; a non-finite
// fold is reported for the lowest failing tensor and leaves every buffer as it was. Fixed seeds.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <atomic>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "cohort/codec/encode.h"
#include "cohort/codec/wire.h"
#include "cohort/errors.h"
#include "cohort/sparseloco.h"
#include "codec/parallel_jobs.h"
#include "test_harness.h"

namespace {

// A model-like table: an embedding, norms, projections of several sizes, a 1-element tensor.
std::vector<cohort::ParamSpec> specs() {
  return {{"embed", {515, 64}}, {"norm", {64}}, {"q", {64, 64}}, {"up", {176, 64}}, {"down", {64, 176}},
          {"one", {1}},         {"wide", {3, 700}}};
}

std::vector<at::Tensor> deltas(uint64_t seed, float scale) {
  std::vector<at::Tensor> out;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (const auto& s : specs()) out.push_back(at::randn(s.shape, gen, at::kFloat) * scale);
  return out;
}

std::vector<std::vector<float>> copy_of(const cohort::ErrorFeedback& ef) { return ef.buffers(); }

bool same(const cohort::codec::EncodedTensor& a, const cohort::codec::EncodedTensor& b) {
  return a.indices == b.indices && a.codes == b.codes &&
         std::memcmp(&a.quant, &b.quant, sizeof(cohort::codec::QuantParams)) == 0;
}

}  // namespace

COHORT_TEST(fold_and_encode_gives_the_same_bytes_on_any_number_of_threads) {
  const cohort::codec::CodecParams codec{64, 37, cohort::codec::IndexCoding::kRice};
  // The reference: encode_with_feedback tensor by tensor on plain buffers, three windows.
  std::vector<std::vector<float>> e;
  for (const auto& s : specs()) {
    int64_t n = 1;
    for (const int64_t d : s.shape) n *= d;
    e.emplace_back(static_cast<size_t>(n), 0.0F);
  }
  std::vector<std::vector<cohort::codec::EncodedTensor>> want;
  for (uint64_t w = 0; w < 3; ++w) {
    const auto d = deltas(10 + w, 0.01F);
    std::vector<cohort::codec::EncodedTensor> window;
    for (size_t i = 0; i < d.size(); ++i) {
      const cohort::codec::ChunkPlan plan(specs()[i].shape, codec.tile_side, codec.topk);
      window.push_back(cohort::codec::encode_with_feedback(e[i].data(), d[i].data_ptr<float>(), 0.9F, plan));
    }
    want.push_back(window);
  }
  for (const int threads : {1, 2, 5}) {
    cohort::ErrorFeedback ef(specs());
    for (uint64_t w = 0; w < 3; ++w) {
      const auto got = ef.fold_and_encode(deltas(10 + w, 0.01F), 0.9F, codec, threads);
      REQUIRE_EQ(got.size(), want[w].size());
      for (size_t i = 0; i < got.size(); ++i) REQUIRE(same(got[i], want[w][i]));
    }
    REQUIRE(copy_of(ef) == e);
  }
}

COHORT_TEST(a_non_finite_fold_names_the_first_tensor_and_changes_nothing) {
  const cohort::codec::CodecParams codec{64, 37, cohort::codec::IndexCoding::kRice};
  for (const int threads : {1, 4}) {
    cohort::ErrorFeedback ef(specs());
    (void)ef.fold_and_encode(deltas(20, 0.01F), 0.9F, codec, threads);
    const auto before = copy_of(ef);
    auto bad = deltas(21, 0.01F);
    bad[6][2][5] = std::numeric_limits<float>::infinity();  // the last tensor, a small one
    bad[2][7][1] = std::numeric_limits<float>::quiet_NaN();  // an earlier one: this is the one named
    std::string message;
    try {
      (void)ef.fold_and_encode(bad, 0.9F, codec, threads);
    } catch (const cohort::InvalidArgumentError& e) {
      message = e.what();
    }
    REQUIRE(message.find("of q") != std::string::npos);
    REQUIRE(copy_of(ef) == before);
  }
}

// The persisted state: size() floats in canonical order, copy_to and buffers agreeing, load round-tripping;
// a CUDA device is refused where the codec kernels cannot launch (no device here), and nothing changes.
COHORT_TEST(the_state_round_trips_and_a_device_without_kernels_is_refused) {
  const cohort::codec::CodecParams codec{64, 37, cohort::codec::IndexCoding::kRice};
  cohort::ErrorFeedback ef(specs());
  REQUIRE(ef.device().is_cpu());
  (void)ef.fold_and_encode(deltas(3, 0.01F), 0.9F, codec);
  std::vector<float> flat(ef.size());
  ef.copy_to(flat.data());
  size_t at = 0;
  for (const auto& b : ef.buffers()) {
    REQUIRE(std::memcmp(b.data(), flat.data() + at, b.size() * sizeof(float)) == 0);
    at += b.size();
  }
  REQUIRE_EQ(at, flat.size());
  cohort::ErrorFeedback again(specs());
  again.load(flat.data(), flat.size());
  REQUIRE(again.buffers() == ef.buffers());
  REQUIRE_EQ(again.norm(), ef.norm());
  if (!cohort::device_encode_supported(at::Device(at::kCUDA))) {
    bool refused = false;
    try {
      cohort::ErrorFeedback on_gpu(specs(), at::Device(at::kCUDA));
    } catch (const cohort::InvalidArgumentError&) {
      refused = true;
    }
    REQUIRE(refused);
  }
}

COHORT_TEST(run_jobs_runs_each_job_once_largest_first_and_rethrows_the_lowest_failure) {
  const std::vector<int64_t> sizes = {5, 90, 1, 90, 40};
  std::vector<size_t> order;
  cohort::codec::detail::run_jobs(sizes, 1, [&](size_t i) { order.push_back(i); });
  REQUIRE(order == (std::vector<size_t>{1, 3, 4, 0, 2}));  // largest first, ties in index order
  std::vector<std::atomic<int>> runs(100);
  const std::vector<int64_t> many(100, 1);
  cohort::codec::detail::run_jobs(many, 7, [&](size_t i) { ++runs[i]; });
  for (const auto& r : runs) REQUIRE_EQ(r.load(), 1);
  std::string what;
  try {
    cohort::codec::detail::run_jobs(many, 7, [&](size_t i) {
      if (i == 40 || i == 17 || i == 93) throw std::runtime_error("job " + std::to_string(i));
    });
  } catch (const std::runtime_error& e) {
    what = e.what();
  }
  REQUIRE_EQ(what, std::string("job 17"));
  REQUIRE_EQ(cohort::codec::detail::job_threads(0, 1), 1);
  REQUIRE_EQ(cohort::codec::detail::job_threads(3, 100), 3);
}

int main() { return cohort::test::run_all(); }
