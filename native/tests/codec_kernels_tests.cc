// CPU twins of the codec kernels (src/kernels: chunk_geometry.h, tensor_slots.h, pairwise_sum.h, ef_update,
// topk_chunks, quantize_codes, encode_batch)
// against the codec reference (cohort/codec), bit for bit. Runs everywhere; codec_cuda_tests.cc then holds
// the CUDA kernels to the same reference on a device. Fixed seeds throughout.
// Shape suffixes: _N = flat element count; _K = total kept.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "cohort/codec/chunk_plan.h"
#include "cohort/codec/quantize.h"
#include "cohort/codec/topk.h"
#include "kernels/chunk_geometry.h"
#include "kernels/ef_update.h"
#include "kernels/encode_batch.h"
#include "kernels/pairwise_sum.h"
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

// Shapes over every tiling rule: divisible, awkward (prime, 2·prime), 1-D dense and ragged, small, single.
const std::vector<std::vector<int64_t>> kShapes = {
    {128, 192}, {67, 130}, {768}, {4099}, {10, 7}, {64, 64}, {131, 64}, {96, 100}, {1}, {3, 1},
};

}  // namespace

COHORT_TEST(chunk_geometry_matches_chunk_plan) {
  for (const auto& shape : kShapes) {
    for (const int tile : {64, 16, 7}) {
      for (const int topk : {64, 37, 1, 5000}) {
        const ChunkPlan plan(shape, tile, topk);
        const ChunkGeometry g = cohort::kernels::chunk_geometry_of(plan);
        REQUIRE_EQ(g.chunk_count(), plan.chunk_count());
        REQUIRE_EQ(g.total_kept(), plan.total_kept());
        int64_t offset = 0;
        for (int64_t ch = 0; ch < plan.chunk_count(); ++ch) {
          REQUIRE_EQ(g.chunk_rows(ch), plan.chunk_rows(ch));
          REQUIRE_EQ(g.chunk_cols(ch), plan.chunk_cols(ch));
          REQUIRE_EQ(g.chunk_size(ch), plan.chunk_size(ch));
          REQUIRE_EQ(g.chunk_k(ch), plan.chunk_k(ch));
          REQUIRE_EQ(g.chunk_origin(ch), plan.chunk_origin(ch));
          REQUIRE_EQ(g.chunk_offset(ch), offset);
          for (const int64_t i : {int64_t{0}, plan.chunk_size(ch) / 2, plan.chunk_size(ch) - 1}) {
            REQUIRE_EQ(g.flat_index(ch, i), plan.flat_index(ch, i));
          }
          offset += plan.chunk_k(ch);
        }
      }
    }
  }
}

COHORT_TEST(topk_and_quantize_twins_match_codec_reference) {
  uint32_t seed = 1;
  for (const auto& shape : kShapes) {
    for (const int tile : {64, 16}) {
      for (const int topk : {64, 37, 5000}) {
        const ChunkPlan plan(shape, tile, topk);
        const ChunkGeometry g = cohort::kernels::chunk_geometry_of(plan);
        const auto kept = static_cast<size_t>(plan.total_kept());
        for (const auto& data_N : datasets(plan.numel(), ++seed)) {
          std::vector<uint16_t> want_idx(kept), got_idx(kept);
          std::vector<float> want_val(kept), got_val(kept);
          cohort::codec::select_topk(data_N.data(), plan, want_idx.data(), want_val.data());
          cohort::kernels::topk_chunks_ref(data_N.data(), g, got_idx.data(), got_val.data());
          if (!same_bytes(got_idx, want_idx) || !same_bytes(got_val, want_val)) {
            cohort::test::fail(__FILE__, __LINE__, "topk_chunks_ref differs: " + describe(shape, tile, topk));
          }
          std::vector<uint8_t> want_codes(kept), got_codes(kept);
          const auto want = cohort::codec::quantize_values(want_val.data(), plan, want_codes.data());
          const auto got = cohort::kernels::quantize_codes_ref(want_val.data(), g, got_codes.data());
          if (!same_bytes(got_codes, want_codes)) {
            cohort::test::fail(__FILE__, __LINE__, "quantize_codes_ref codes differ: " + describe(shape, tile, topk));
          }
          REQUIRE_EQ(bits_of(got.shift), bits_of(want.shift));
          for (int b = 0; b < cohort::kernels::kCodeBins; ++b) {
            REQUIRE_EQ(bits_of(got.lookup[b]), bits_of(want.lookup[static_cast<size_t>(b)]));
          }
        }
      }
    }
  }
}

COHORT_TEST(ef_update_ref_is_one_fma) {
  const std::vector<float> delta_N = cohort::test::make_vector(1001, 21);
  const std::vector<float> start_N = cohort::test::make_vector(1001, 22);
  std::vector<float> ef_N = start_N;
  cohort::kernels::ef_update_ref(ef_N.data(), delta_N.data(), 0.95F, static_cast<int64_t>(ef_N.size()));
  for (size_t i = 0; i < ef_N.size(); ++i) {
    REQUIRE_EQ(bits_of(ef_N[i]), bits_of(std::fmaf(0.95F, start_N[i], delta_N[i])));
  }
  // One rounding: a separate product and sum would land on a tie and round up to 1 + 2^-22.
  std::vector<float> e = {1.0F - 0x1p-23F};
  const std::vector<float> d = {1.0F + 0x1p-23F};
  cohort::kernels::ef_update_ref(e.data(), d.data(), 0x1p-24F * (1.0F + 0x1p-23F), 1);
  REQUIRE_EQ(e[0], d[0]);
}

// The tree of pairwise_sum.h, against an out-of-place restatement of its definition.
COHORT_TEST(pairwise_sum_is_the_level_tree) {
  std::mt19937 rng(5);
  std::normal_distribution<double> dist(0.0, 1.0);
  for (const int64_t n : {1, 2, 3, 4, 5, 7, 8, 9, 1000, 1025}) {
    std::vector<double> level(static_cast<size_t>(n));
    for (double& x : level) x = dist(rng) * std::ldexp(1.0, static_cast<int>(rng() % 60) - 30);
    std::vector<double> p = level;
    while (level.size() > 1) {
      std::vector<double> next;
      for (size_t i = 0; i + 1 < level.size(); i += 2) next.push_back(level[i] + level[i + 1]);
      if (level.size() % 2 == 1) next.push_back(level.back());
      level = next;
    }
    const double got = cohort::kernels::pairwise_sum_in_place(p.data(), n);
    REQUIRE_EQ(std::memcmp(&got, level.data(), sizeof got), 0);
  }
  REQUIRE_EQ(cohort::kernels::pairwise_sum_in_place(nullptr, 0), 0.0);
  // The order is part of the format: a sequential sum of these gives 1, the tree gives 0.
  std::vector<double> p = {1e16, 1.0, -1e16, 1.0};
  REQUIRE_EQ((((p[0] + p[1]) + p[2]) + p[3]), 1.0);
  REQUIRE_EQ(cohort::kernels::pairwise_sum_in_place(p.data(), 4), 0.0);
}

COHORT_TEST(slot_of_chunk_finds_every_tensor) {
  std::vector<cohort::kernels::TensorSlot> slots;
  for (const auto& shape : cohort::test::model_like_shapes()) {
    slots.push_back({cohort::kernels::chunk_geometry_of(ChunkPlan(shape, 16, 5))});
  }
  const auto totals = cohort::kernels::lay_out_slots(slots.data(), static_cast<int>(slots.size()));
  int64_t chunk = 0;
  int64_t kept = 0;
  for (int s = 0; s < static_cast<int>(slots.size()); ++s) {
    REQUIRE_EQ(slots[static_cast<size_t>(s)].chunk_base, chunk);
    REQUIRE_EQ(slots[static_cast<size_t>(s)].kept_base, kept);
    for (int64_t c = 0; c < slots[static_cast<size_t>(s)].geometry.chunk_count(); ++c, ++chunk) {
      REQUIRE_EQ(cohort::kernels::slot_of_chunk(slots.data(), static_cast<int>(slots.size()), chunk), s);
    }
    kept += slots[static_cast<size_t>(s)].geometry.total_kept();
  }
  REQUIRE_EQ(totals.chunks, chunk);
  REQUIRE_EQ(totals.kept, kept);
}

// The batched twin is encode_with_feedback tensor by tensor, in one kept numbering, and never writes e.
COHORT_TEST(encode_batch_ref_matches_encode_with_feedback) {
  for (const int topk : {37, 5000}) {
    const auto c = cohort::test::encode_batch_case(cohort::test::model_like_shapes(), 64, topk, 60);
    std::vector<cohort::kernels::EncodeTensor> table;
    std::vector<std::vector<float>> next(c.plans.size());
    for (size_t t = 0; t < c.plans.size(); ++t) {
      next[t].assign(c.ef_N[t].size(), -1.0F);
      table.push_back({c.geometries[t], c.ef_N[t].data(), c.delta_N[t].data(), next[t].data()});
    }
    std::vector<uint16_t> indices_K(c.indices_K.size());
    std::vector<uint8_t> codes_K(c.codes_K.size());
    std::vector<cohort::kernels::QuantResult> results(c.plans.size());
    REQUIRE(cohort::kernels::encode_batch_ref(table.data(), static_cast<int>(table.size()), c.beta, indices_K.data(),
                                              codes_K.data(), results.data()));
    REQUIRE(same_bytes(indices_K, c.indices_K));
    REQUIRE(same_bytes(codes_K, c.codes_K));
    for (size_t t = 0; t < c.plans.size(); ++t) {
      REQUIRE_EQ(bits_of(results[t].shift), bits_of(c.quant[t].shift));
      for (int b = 0; b < cohort::kernels::kCodeBins; ++b) {
        REQUIRE_EQ(bits_of(results[t].lookup[b]), bits_of(c.quant[t].lookup[static_cast<size_t>(b)]));
      }
      REQUIRE(same_bytes(next[t], c.ef_after_N[t]));
    }
    // A non-finite fold is refused and e stays as it was.
    std::vector<float> ef = c.ef_N[2];
    std::vector<float> delta = c.delta_N[2];
    delta[17] = std::numeric_limits<float>::infinity();
    const std::vector<float> before = ef;
    cohort::kernels::EncodeTensor bad{c.geometries[2], ef.data(), delta.data(), next[2].data()};
    REQUIRE(!cohort::kernels::encode_batch_ref(&bad, 1, c.beta, indices_K.data(), codes_K.data(), results.data()));
    REQUIRE(same_bytes(ef, before));
  }
}

int main() { return cohort::test::run_all(); }
