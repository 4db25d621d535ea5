// The CUDA kernels' own sources (src/kernels/*.cu) run in the SIMT emulator (tests/simt/simt.h) on the
// CPU, against their CPU twins: the codec kernels bit for bit, the fused model kernels bit for bit where
// the kernel and the twin sum in the same order and to a tolerance where a block reduces a row in its own
// order. Every case runs twice, threads ascending and descending between barriers, and must give the same
// bytes both ways (a difference is a race a GPU would show only sometimes). This is a test double for a
// GPU, which CI machines lack; native_codec_cuda_tests and native_engine_cuda_tests run the real thing on
// a GPU machine. Fixed seeds throughout. Shape suffixes as in the kernels' headers.
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "cohort/codec/chunk_plan.h"
#include "cohort/codec/quantize.h"
#include "kernels/add_scaled.h"
#include "kernels/cross_entropy.h"
#include "kernels/ef_update.h"
#include "kernels/encode_batch.h"
#include "kernels/quantize_codes.h"
#include "kernels/rms_norm.h"
#include "kernels/rope_qkv.h"
#include "kernels/swiglu.h"
#include "kernels/topk_chunks.h"
#include "core/device_encode.h"
#include "codec_test_data.h"
#include "encode_batch_case.h"
#include "test_harness.h"

using cohort::codec::ChunkPlan;
using cohort::kernels::bf16;
using cohort::kernels::ChunkGeometry;
using cohort::simt::Order;
using cohort::test::bits_of;
using cohort::test::datasets;
using cohort::test::describe;
using cohort::test::same_bytes;

namespace {

#define REQUIRE_OK(expr) REQUIRE_EQ((expr), cudaSuccess)

// Runs `body` (which returns its outputs as bytes) with threads ascending, then descending, between
// barriers; both must give the same bytes. Returns them.
std::vector<char> in_both_orders(const std::function<std::vector<char>()>& body, const std::string& what) {
  cohort::simt::set_order(Order::ascending);
  const std::vector<char> up = body();
  cohort::simt::set_order(Order::descending);
  const std::vector<char> down = body();
  cohort::simt::set_order(Order::ascending);
  if (up != down) cohort::test::fail(__FILE__, __LINE__, what + ": result depends on the order threads run in");
  return up;
}

template <class T>
void append(std::vector<char>& out, const std::vector<T>& v) {
  const size_t at = out.size();
  const size_t bytes = v.size() * sizeof(T);
  out.resize(at + bytes);
  if (bytes > 0) std::memcpy(out.data() + at, v.data(), bytes);
}

// The bytes of every vector, one after another: a kernel's outputs as one comparable value.
template <class... T>
std::vector<char> bytes_of(const std::vector<T>&... vectors) {
  std::vector<char> out;
  (append(out, vectors), ...);
  return out;
}

std::vector<float> normal(size_t n, uint32_t seed, float scale = 1.0F) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0F, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

template <typename S>
std::vector<S> as(const std::vector<float>& v) {
  if constexpr (std::is_same_v<S, float>) {
    return v;
  } else {
    std::vector<S> out(v.size());
    for (size_t i = 0; i < v.size(); ++i) out[i] = cohort::kernels::to_bf16(v[i]);
    return out;
  }
}

float value_of(float v) { return v; }
float value_of(bf16 v) { return cohort::kernels::to_float(v); }

// |got − want| ≤ tol · max(1, |want|) element by element.
template <typename A, typename B>
void require_close(const std::vector<A>& got, const std::vector<B>& want, double tol, const std::string& what) {
  REQUIRE_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const double g = value_of(got[i]);
    const double w = value_of(want[i]);
    if (!(std::fabs(g - w) <= tol * std::max(1.0, std::fabs(w)))) {
      cohort::test::fail(__FILE__, __LINE__,
                         what + ": element " + std::to_string(i) + " is " + std::to_string(g) + ", want " +
                             std::to_string(w));
    }
  }
}

const std::vector<std::vector<int64_t>> kCodecShapes = {{128, 192}, {67, 130}, {768}, {10, 7}, {131, 64}, {1}, {3, 1}};

}  // namespace

// ------------------------------------------------------------------------------------------- the emulator

namespace {

// Thread t writes a cell and reads its neighbour's: with the barrier between, whatever the order; without
// it, what the neighbour wrote only if the neighbour happened to run first (a race). The cells end zeroed.
__global__ void neighbour_kernel(unsigned int* out, bool with_barrier) {
  __shared__ unsigned int cells[64];
  cells[threadIdx.x] = 1000 + threadIdx.x;
  if (with_barrier) __syncthreads();
  out[threadIdx.x] = cells[(threadIdx.x + 1) % 64];
  __syncthreads();
  cells[threadIdx.x] = 0;
}

// Lane 0 waits at __syncthreads while the rest of its warp waits in a shuffle: neither can complete.
__global__ void divergent_kernel(unsigned int* out) {
  unsigned int v = threadIdx.x;
  if (threadIdx.x == 0) {
    __syncthreads();
  } else {
    v = __shfl_xor_sync(0xffffffffU, v, 1);
  }
  out[threadIdx.x] = v;
}

__global__ void shuffle_kernel(float* out) {
  float v = static_cast<float>(threadIdx.x);
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffU, v, offset);
  out[threadIdx.x] = v;
}

}  // namespace

COHORT_TEST(emulator_runs_barriers_and_shuffles_and_catches_races) {
  std::vector<unsigned int> out(64);
  for (const Order order : {Order::ascending, Order::descending}) {
    cohort::simt::set_order(order);
    neighbour_kernel * cohort::simt::Config{1, 64}(out.data(), true);
    for (unsigned int t = 0; t < 64; ++t) REQUIRE_EQ(out[t], 1000 + (t + 1) % 64);
  }
  // Without the barrier the two orders disagree: in_both_orders would report it.
  std::vector<unsigned int> up(64);
  std::vector<unsigned int> down(64);
  cohort::simt::set_order(Order::ascending);
  neighbour_kernel * cohort::simt::Config{1, 64}(up.data(), false);
  cohort::simt::set_order(Order::descending);
  neighbour_kernel * cohort::simt::Config{1, 64}(down.data(), false);
  cohort::simt::set_order(Order::ascending);
  REQUIRE(up != down);
  REQUIRE_EQ(up[0], 0U);       // thread 1 had not written yet
  REQUIRE_EQ(down[0], 1001U);  // it had

  // A barrier not every thread reaches fails the launch with a message.
  bool threw = false;
  try {
    divergent_kernel * cohort::simt::Config{1, 64}(out.data());
  } catch (const std::runtime_error& e) {
    threw = std::string(e.what()).find("different barriers") != std::string::npos;
  }
  REQUIRE(threw);

  // A butterfly of shuffles gives every lane its warp's sum; two warps stay apart.
  std::vector<float> sums(64);
  shuffle_kernel * cohort::simt::Config{1, 64}(sums.data());
  for (unsigned int t = 0; t < 64; ++t) REQUIRE_EQ(sums[t], t < 32 ? 496.0F : 1520.0F);

  // The runtime's configuration limits.
  neighbour_kernel * cohort::simt::Config{1, 2048}(out.data(), true);
  REQUIRE_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
  REQUIRE_EQ(cudaGetLastError(), cudaSuccess);
}

// ------------------------------------------------------------------------------------------- codec kernels

COHORT_TEST(codec_kernels_match_their_twins) {
  uint32_t seed = 300;
  for (const auto& shape : kCodecShapes) {
    for (const int tile : {64, 16}) {
      for (const int topk : {37, 5000}) {
        const ChunkPlan plan(shape, tile, topk);
        const ChunkGeometry g = cohort::kernels::chunk_geometry_of(plan);
        const auto kept = static_cast<size_t>(plan.total_kept());
        for (const auto& data_N : datasets(plan.numel(), ++seed)) {
          std::vector<uint16_t> want_idx(kept);
          std::vector<float> want_val(kept);
          std::vector<uint8_t> want_codes(kept);
          cohort::kernels::topk_chunks_ref(data_N.data(), g, want_idx.data(), want_val.data());
          const auto want = cohort::kernels::quantize_codes_ref(want_val.data(), g, want_codes.data());
          const std::vector<char> got = in_both_orders(
              [&] {
                std::vector<uint16_t> idx(kept);
                std::vector<float> val(kept);
                std::vector<uint8_t> codes(kept);
                std::vector<char> scratch(cohort::kernels::quantize_codes_scratch_bytes(g));
                cohort::kernels::QuantResult q;
                REQUIRE_OK(cohort::kernels::launch_topk_chunks(data_N.data(), g, idx.data(), val.data(), nullptr));
                REQUIRE_OK(cohort::kernels::quantize_codes(val.data(), g, codes.data(), scratch.data(), nullptr, &q));
                return bytes_of(idx, val, codes, std::vector<cohort::kernels::QuantResult>{q});
              },
              "topk + quantize " + describe(shape, tile, topk));
          const std::vector<char> expected =
              bytes_of(want_idx, want_val, want_codes, std::vector<cohort::kernels::QuantResult>{want});
          if (got != expected) {
            cohort::test::fail(__FILE__, __LINE__, "topk_chunks / quantize_codes differ: " + describe(shape, tile, topk));
          }
        }
      }
    }
  }
}

COHORT_TEST(encode_batch_kernels_match_encode_with_feedback) {
  for (const int topk : {37, 5000}) {
    const auto c = cohort::test::encode_batch_case(cohort::test::model_like_shapes(), 64, topk, 400);
    for (const int poison : {-1, 3}) {
      const std::vector<char> got = in_both_orders(
          [&] {
            auto [ef, delta, next] = cohort::test::encode_batch_run(c, poison, 5, std::numeric_limits<float>::infinity());
            std::vector<cohort::kernels::EncodeTensor> table;
            for (size_t t = 0; t < c.plans.size(); ++t) {
              table.push_back({c.geometries[t], ef[t].data(), delta[t].data(), next[t].data()});
            }
            std::vector<uint16_t> idx(c.indices_K.size());
            std::vector<uint8_t> codes(c.codes_K.size());
            std::vector<char> scratch(cohort::kernels::encode_batch_scratch_bytes(table.data(), static_cast<int>(table.size())));
            std::vector<cohort::kernels::QuantResult> results(c.plans.size());
            bool finite = false;
            REQUIRE_OK(cohort::kernels::encode_batch(table.data(), static_cast<int>(table.size()), c.beta, idx.data(),
                                                     codes.data(), scratch.data(), nullptr, results.data(), &finite));
            for (size_t t = 0; t < c.plans.size(); ++t) REQUIRE(same_bytes(ef[t], c.ef_N[t]));  // e untouched
            REQUIRE_EQ(finite, poison < 0);
            if (!finite) return std::vector<char>{};
            std::vector<char> out = bytes_of(idx, codes, results);
            for (const auto& n : next) append(out, n);
            return out;
          },
          "encode_batch, k " + std::to_string(topk));
      if (poison >= 0) continue;
      std::vector<cohort::kernels::QuantResult> want_q;
      for (const auto& q : c.quant) {
        cohort::kernels::QuantResult r;
        r.shift = q.shift;
        for (int b = 0; b < cohort::kernels::kCodeBins; ++b) r.lookup[b] = q.lookup[static_cast<size_t>(b)];
        want_q.push_back(r);
      }
      std::vector<char> expected = bytes_of(c.indices_K, c.codes_K, want_q);
      for (const auto& e : c.ef_after_N) append(expected, e);
      REQUIRE(got == expected);
    }
  }
  cohort::kernels::QuantResult q;
  bool finite = true;
  REQUIRE_EQ(cohort::kernels::encode_batch(nullptr, 0, 0.9F, nullptr, nullptr, nullptr, nullptr, &q, &finite),
             cudaErrorInvalidValue);
}

// The engine's whole-model device encode (core/device_encode.cc, compiled here over the emulated runtime):
// encode_batch's results split back per tensor equal encode_with_feedback's, tensor by tensor; a
// non-finite fold returns false and leaves e as it was.
COHORT_TEST(device_encode_matches_encode_with_feedback_per_tensor) {
  const auto c = cohort::test::encode_batch_case(cohort::test::model_like_shapes(), 64, 37, 500);
  for (const int poison : {-1, 4}) {
    in_both_orders(
        [&] {
          auto [ef, delta, next] = cohort::test::encode_batch_run(c, poison, 7, std::numeric_limits<float>::quiet_NaN());
          std::vector<cohort::detail::DeviceEncodeBuffers> buffers;
          for (size_t t = 0; t < c.plans.size(); ++t) buffers.push_back({ef[t].data(), delta[t].data(), next[t].data()});
          std::vector<cohort::codec::EncodedTensor> out;
          const bool finite = cohort::detail::encode_on_device(c.plans, buffers, c.beta, nullptr, out);
          for (size_t t = 0; t < c.plans.size(); ++t) REQUIRE(same_bytes(ef[t], c.ef_N[t]));  // e untouched
          REQUIRE_EQ(finite, poison < 0);
          if (!finite) {
            REQUIRE(out.empty());
            return std::vector<char>{};
          }
          REQUIRE_EQ(out.size(), c.plans.size());
          size_t at = 0;
          std::vector<char> bytes;
          for (size_t t = 0; t < c.plans.size(); ++t) {
            const auto k = static_cast<size_t>(c.plans[t].total_kept());
            const std::vector<uint16_t> want_idx(c.indices_K.begin() + static_cast<std::ptrdiff_t>(at),
                                                 c.indices_K.begin() + static_cast<std::ptrdiff_t>(at + k));
            const std::vector<uint8_t> want_codes(c.codes_K.begin() + static_cast<std::ptrdiff_t>(at),
                                                  c.codes_K.begin() + static_cast<std::ptrdiff_t>(at + k));
            REQUIRE(out[t].indices == want_idx);
            REQUIRE(out[t].codes == want_codes);
            REQUIRE_EQ(bits_of(out[t].quant.shift), bits_of(c.quant[t].shift));
            for (size_t b = 0; b < out[t].quant.lookup.size(); ++b) {
              REQUIRE_EQ(bits_of(out[t].quant.lookup[b]), bits_of(c.quant[t].lookup[b]));
            }
            REQUIRE(same_bytes(next[t], c.ef_after_N[t]));
            append(bytes, out[t].indices);
            append(bytes, out[t].codes);
            at += k;
          }
          return bytes;
        },
        "device encode");
  }
  // A table without one buffer set per plan is refused before any launch.
  std::vector<cohort::codec::EncodedTensor> out;
  bool refused = false;
  try {
    (void)cohort::detail::encode_on_device(c.plans, {}, 0.9F, nullptr, out);
  } catch (const std::invalid_argument&) {
    refused = true;
  }
  REQUIRE(refused);
}

COHORT_TEST(elementwise_codec_kernels_match_their_twins) {
  for (const int64_t n : {int64_t{1}, int64_t{257}, int64_t{5000}}) {
    const std::vector<float> start = normal(static_cast<size_t>(n), 11);
    const std::vector<float> delta = normal(static_cast<size_t>(n), 12);
    std::vector<float> want = start;
    cohort::kernels::ef_update_ref(want.data(), delta.data(), 0.95F, n);
    std::vector<float> got = start;
    REQUIRE_OK(cohort::kernels::launch_ef_update(got.data(), delta.data(), 0.95F, n, nullptr));
    REQUIRE(same_bytes(got, want));
    std::vector<float> sum_want(static_cast<size_t>(n)), sum_got(static_cast<size_t>(n));
    cohort::kernels::add_scaled_ref(sum_want.data(), start.data(), delta.data(), -0.5F, n);
    REQUIRE_OK(cohort::kernels::launch_add_scaled(sum_got.data(), start.data(), delta.data(), -0.5F, n, nullptr));
    REQUIRE(same_bytes(sum_got, sum_want));
  }
}

// ------------------------------------------------------------------------------------ fused model kernels

namespace {

template <typename S>
void check_swiglu(int64_t m, int64_t f, uint32_t seed) {
  const std::string what = "swiglu " + std::to_string(m) + "x" + std::to_string(f) + (sizeof(S) == 2 ? " bf16" : " fp32");
  const std::vector<S> gate_up = as<S>(normal(static_cast<size_t>(m * 2 * f), seed, 3.0F));
  const std::vector<S> dout = as<S>(normal(static_cast<size_t>(m * f), seed + 1));
  std::vector<S> want_out(static_cast<size_t>(m * f)), want_d(static_cast<size_t>(m * 2 * f));
  cohort::kernels::swiglu_forward_ref(want_out.data(), gate_up.data(), m, f);
  cohort::kernels::swiglu_backward_ref(want_d.data(), gate_up.data(), dout.data(), m, f);
  const std::vector<char> got = in_both_orders(
      [&] {
        std::vector<S> out(want_out.size()), d(want_d.size());
        REQUIRE_OK(cohort::kernels::launch_swiglu_forward(out.data(), gate_up.data(), m, f, nullptr));
        REQUIRE_OK(cohort::kernels::launch_swiglu_backward(d.data(), gate_up.data(), dout.data(), m, f, nullptr));
        return bytes_of(out, d);
      },
      what);
  const std::vector<char> expected = bytes_of(want_out, want_d);
  if (got != expected) cohort::test::fail(__FILE__, __LINE__, what + " differs from its twin");
}

template <typename S>
void check_rope(const cohort::kernels::QkvShape& shape, int64_t n, uint32_t seed) {
  const std::string what = "rope_qkv" + std::string(sizeof(S) == 2 ? " bf16" : " fp32");
  const int64_t E = shape.head_dim, H = shape.q_heads, K = shape.kv_heads;
  const std::vector<S> qkv = as<S>(normal(static_cast<size_t>(n * shape.row_width()), seed));
  const std::vector<float> cos_TE = normal(static_cast<size_t>(shape.seq_len * E), seed + 1, 0.5F);
  const std::vector<float> sin_TE = normal(static_cast<size_t>(shape.seq_len * E), seed + 2, 0.5F);
  const std::vector<S> dq = as<S>(normal(static_cast<size_t>(n * H * E), seed + 3));
  const std::vector<S> dk = as<S>(normal(static_cast<size_t>(n * K * E), seed + 4));
  const std::vector<S> dv = as<S>(normal(static_cast<size_t>(n * K * E), seed + 5));
  auto run = [&](bool twin) {
    std::vector<S> q(dq.size()), k(dk.size()), v(dv.size()), dqkv(qkv.size());
    if (twin) {
      cohort::kernels::rope_qkv_forward_ref(q.data(), k.data(), v.data(), qkv.data(), cos_TE.data(), sin_TE.data(),
                                            shape, n);
      cohort::kernels::rope_qkv_backward_ref(dqkv.data(), dq.data(), dk.data(), dv.data(), cos_TE.data(),
                                             sin_TE.data(), shape, n);
    } else {
      REQUIRE_OK(cohort::kernels::launch_rope_qkv_forward(q.data(), k.data(), v.data(), qkv.data(), cos_TE.data(),
                                                          sin_TE.data(), shape, n, nullptr));
      REQUIRE_OK(cohort::kernels::launch_rope_qkv_backward(dqkv.data(), dq.data(), dk.data(), dv.data(),
                                                           cos_TE.data(), sin_TE.data(), shape, n, nullptr));
    }
    return bytes_of(q, k, v, dqkv);
  };
  if (in_both_orders([&] { return run(false); }, what) != run(true)) {
    cohort::test::fail(__FILE__, __LINE__, what + " differs from its twin");
  }
}

template <typename S>
void check_rms_norm(int64_t n, int64_t d, uint32_t seed) {
  const std::string what = "rms_norm d=" + std::to_string(d) + (sizeof(S) == 2 ? " bf16" : " fp32");
  const double tol = sizeof(S) == 2 ? 1e-2 : 2e-5;
  const std::vector<S> x = as<S>(normal(static_cast<size_t>(n * d), seed, 2.0F));
  const std::vector<S> dy = as<S>(normal(static_cast<size_t>(n * d), seed + 1));
  const std::vector<float> w = normal(static_cast<size_t>(d), seed + 2);
  std::vector<S> want_y(x.size()), want_dx(x.size());
  std::vector<float> want_rstd(static_cast<size_t>(n)), want_dw(static_cast<size_t>(d));
  cohort::kernels::rms_norm_forward_ref(want_y.data(), want_rstd.data(), x.data(), w.data(), n, d, 1e-5);
  cohort::kernels::rms_norm_backward_ref(want_dx.data(), want_dw.data(), dy.data(), x.data(), w.data(),
                                         want_rstd.data(), n, d);
  std::vector<S> y(x.size()), dx(x.size());
  std::vector<float> rstd(static_cast<size_t>(n));
  const int64_t partial_rows = cohort::kernels::rms_norm_partial_rows(n);
  std::vector<float> partial(static_cast<size_t>(partial_rows * d));
  in_both_orders(
      [&] {
        REQUIRE_OK(cohort::kernels::launch_rms_norm_forward(y.data(), rstd.data(), x.data(), w.data(), n, d, 1e-5F,
                                                            nullptr));
        REQUIRE_OK(cohort::kernels::launch_rms_norm_backward(dx.data(), partial.data(), dy.data(), x.data(), w.data(),
                                                             rstd.data(), n, d, nullptr));
        return bytes_of(y, rstd, dx, partial);
      },
      what);
  std::vector<float> dw(static_cast<size_t>(d), 0.0F);
  for (int64_t r = 0; r < partial_rows; ++r) {
    for (int64_t c = 0; c < d; ++c) dw[static_cast<size_t>(c)] += partial[static_cast<size_t>(r * d + c)];
  }
  require_close(y, want_y, tol, what + " y");
  require_close(rstd, want_rstd, 2e-5, what + " rstd");
  require_close(dx, want_dx, tol, what + " dx");
  require_close(dw, want_dw, 1e-4, what + " dw");
}

template <typename S>
void check_cross_entropy(int64_t n, int64_t v, uint32_t seed) {
  const std::string what = "cross_entropy v=" + std::to_string(v) + (sizeof(S) == 2 ? " bf16" : " fp32");
  const std::vector<S> logits = as<S>(normal(static_cast<size_t>(n * v), seed, 3.0F));
  std::vector<int64_t> targets(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) targets[static_cast<size_t>(r)] = r % 4 == 3 ? -100 : (r * 7919) % v;
  const std::vector<float> dloss = normal(static_cast<size_t>(n), seed + 1);
  std::vector<float> want_loss(static_cast<size_t>(n)), want_lse(static_cast<size_t>(n));
  std::vector<S> want_d(logits.size());
  cohort::kernels::cross_entropy_forward_ref(want_loss.data(), want_lse.data(), logits.data(), targets.data(), n, v,
                                             -100);
  cohort::kernels::cross_entropy_backward_ref(want_d.data(), logits.data(), targets.data(), want_lse.data(),
                                              dloss.data(), n, v, -100);
  std::vector<float> loss(static_cast<size_t>(n)), lse(static_cast<size_t>(n));
  std::vector<S> d(logits.size());
  in_both_orders(
      [&] {
        REQUIRE_OK(cohort::kernels::launch_cross_entropy_forward(loss.data(), lse.data(), logits.data(),
                                                                 targets.data(), n, v, -100, nullptr));
        REQUIRE_OK(cohort::kernels::launch_cross_entropy_backward(d.data(), logits.data(), targets.data(), lse.data(),
                                                                  dloss.data(), n, v, -100, nullptr));
        return bytes_of(loss, lse, d);
      },
      what);
  require_close(loss, want_loss, 1e-5, what + " loss");
  require_close(lse, want_lse, 1e-5, what + " lse");
  require_close(d, want_d, sizeof(S) == 2 ? 1e-2 : 1e-5, what + " dlogits");
}

}  // namespace

COHORT_TEST(swiglu_kernels_match_their_twin_in_columns_and_in_packs) {
  // 300: packs in fp32, single columns in bf16; 2048: packs in both; 5: single columns.
  for (const int64_t f : {int64_t{300}, int64_t{2048}, int64_t{5}}) {
    check_swiglu<float>(3, f, 20);
    check_swiglu<bf16>(3, f, 21);
  }
}

COHORT_TEST(rope_qkv_kernels_match_their_twin) {
  const cohort::kernels::QkvShape shape{4, 2, 16, 5};  // H, K, E, T: grouped heads, positions wrap
  check_rope<float>(shape, 12, 30);
  check_rope<bf16>(shape, 12, 31);
}

COHORT_TEST(rms_norm_kernels_match_their_twin) {
  for (const int64_t d : {int64_t{5}, int64_t{2000}, int64_t{8192}}) {
    check_rms_norm<float>(3, d, 40);
    check_rms_norm<bf16>(3, d, 41);
  }
}

COHORT_TEST(cross_entropy_kernels_match_their_twin) {
  for (const int64_t v : {int64_t{5}, int64_t{1500}}) {
    check_cross_entropy<float>(8, v, 50);
    check_cross_entropy<bf16>(8, v, 51);
  }
}

COHORT_TEST(fused_launchers_refuse_bad_shapes) {
  float f = 0.0F;
  REQUIRE_EQ(cohort::kernels::launch_rms_norm_forward<float>(&f, &f, &f, &f, 1, 0, 1e-5F, nullptr),
             cudaErrorInvalidValue);
  REQUIRE_EQ(cohort::kernels::launch_cross_entropy_forward<float>(&f, &f, &f, nullptr, 1, 0, -100, nullptr),
             cudaErrorInvalidValue);
  const cohort::kernels::QkvShape odd{1, 1, 3, 1};
  REQUIRE_EQ(cohort::kernels::launch_rope_qkv_forward<float>(&f, &f, &f, &f, &f, &f, odd, 1, nullptr),
             cudaErrorInvalidValue);
}

int main() { return cohort::test::run_all(); }
