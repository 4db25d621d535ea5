// CPU twins of the codec kernels (src/kernels: chunk_geometry.h, ef_update, topk_chunks, quantize_codes)
// against the codec reference (cohort/codec), bit for bit. Runs everywhere; codec_cuda_tests.cc then holds
// the CUDA kernels to the same reference on a device. Fixed seeds throughout.
// Shape suffixes: _N = flat element count; _K = total kept.
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cohort/codec/chunk_plan.h"
#include "cohort/codec/quantize.h"
#include "cohort/codec/topk.h"
#include "kernels/chunk_geometry.h"
#include "kernels/ef_update.h"
#include "kernels/quantize_codes.h"
#include "kernels/topk_chunks.h"
#include "codec_test_data.h"
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

int main() { return cohort::test::run_all(); }
