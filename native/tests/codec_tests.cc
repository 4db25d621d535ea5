// Properties of the SparseLoCo codec: chunk geometry, top-k, quantization, error feedback, both index
// codings, the update and aggregate wire formats and their rejections. Fixed seeds throughout.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <set>

#include "cohort/codec/aggregate.h"
#include "cohort/codec/encode.h"
#include "cohort/codec/topk.h"
#include "cohort/codec/wire.h"
#include "cohort/errors.h"
#include "codec/encode_checked.h"
#include "codec/tile_scan.h"
#include "codec/wire_common.h"
#include "aggregate_rejection.h"
#include "test_harness.h"

using namespace cohort;
using namespace cohort::codec;

namespace {

std::vector<float> gaussian(int64_t n, uint32_t seed, float scale = 1.0F) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0F, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// Shapes that exercise every tiling rule: divisible, small, awkward (prime, 2·prime), 1-D dense and ragged.
const std::vector<std::vector<int64_t>> kShapes = {
    {128, 192}, {64, 64}, {10, 7}, {67, 130}, {131, 64}, {96, 100}, {768}, {4099}, {1}, {3, 1},
};

std::vector<TensorEntry> table_of(const std::vector<std::vector<int64_t>>& shapes) {
  std::vector<TensorEntry> table;
  for (size_t i = 0; i < shapes.size(); ++i) {
    table.push_back({"t" + std::to_string(i) + ".weight", DType::kF32, shapes[i]});
  }
  return table;
}

ObjectHeader header_for(uint8_t key_byte, uint64_t window = 7) {
  ObjectHeader h;
  h.run_id = "devnet-test";
  h.window = window;
  h.hotkey.fill(key_byte);
  h.state_fingerprint.fill(0x5A);
  h.data_receipt.fill(0xA5);
  return h;
}

// Brute-force top-k of one chunk: sort (|v| bits desc, index asc), take k, return sorted indices.
std::vector<uint16_t> brute_topk(const std::vector<float>& data, const ChunkPlan& plan, int64_t ch) {
  std::vector<std::pair<uint64_t, uint16_t>> keys;
  for (int64_t i = 0; i < plan.chunk_size(ch); ++i) {
    float v = data[static_cast<size_t>(plan.flat_index(ch, i))];
    uint32_t bits = 0;
    std::memcpy(&bits, &v, 4);
    bits &= 0x7FFFFFFFU;
    keys.push_back({(static_cast<uint64_t>(bits) << 12) | static_cast<uint64_t>(4095 - i), static_cast<uint16_t>(i)});
  }
  std::sort(keys.begin(), keys.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::vector<uint16_t> out;
  for (int64_t j = 0; j < plan.chunk_k(ch); ++j) out.push_back(keys[static_cast<size_t>(j)].second);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

COHORT_TEST(split_dimension_follows_the_rule) {
  auto s = split_dimension(8192, 64);
  REQUIRE(s.block == 64 && s.count == 128 && s.last == 64);
  s = split_dimension(50, 64);  // small: one block
  REQUIRE(s.block == 50 && s.count == 1 && s.last == 50);
  s = split_dimension(96, 64);  // divisor 48 >= 32
  REQUIRE(s.block == 48 && s.count == 2 && s.last == 48);
  s = split_dimension(67, 64);  // prime: ragged 64 + 3
  REQUIRE(s.block == 64 && s.count == 2 && s.last == 3);
  s = split_dimension(50257, 64);  // 29 · 1733: awkward
  REQUIRE(s.block == 64 && s.count == 786 && s.last == 17);
  s = split_dimension(128, 64);
  REQUIRE(s.block == 64 && s.count == 2);
}

COHORT_TEST(chunks_partition_every_tensor) {
  for (const auto& shape : kShapes) {
    const ChunkPlan plan(shape, 64, 64);
    std::vector<int> seen(static_cast<size_t>(plan.numel()), 0);
    int64_t kept = 0;
    for (int64_t ch = 0; ch < plan.chunk_count(); ++ch) {
      REQUIRE(plan.chunk_size(ch) <= 4096);
      kept += plan.chunk_k(ch);
      for (int64_t i = 0; i < plan.chunk_size(ch); ++i) ++seen[static_cast<size_t>(plan.flat_index(ch, i))];
    }
    REQUIRE(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }));
    REQUIRE_EQ(kept, plan.total_kept());
  }
}

COHORT_TEST(topk_matches_brute_force_with_ties) {
  for (const auto& shape : kShapes) {
    const ChunkPlan plan(shape, 64, 37);  // odd k
    std::vector<float> data = gaussian(plan.numel(), 11);
    // Ties: many equal magnitudes of both signs.
    for (size_t i = 0; i < data.size(); i += 3) data[i] = (i % 2 == 0) ? 2.5F : -2.5F;
    std::vector<uint16_t> idx(static_cast<size_t>(plan.total_kept()));
    std::vector<float> val(idx.size());
    select_topk(data.data(), plan, idx.data(), val.data());
    size_t at = 0;
    for (int64_t ch = 0; ch < plan.chunk_count(); ++ch) {
      const auto expected = brute_topk(data, plan, ch);
      for (uint16_t e : expected) {
        REQUIRE_EQ(idx[at], e);
        REQUIRE_EQ(val[at], data[static_cast<size_t>(plan.flat_index(ch, e))]);
        ++at;
      }
    }
  }
}

COHORT_TEST(error_feedback_carries_exactly_what_was_not_sent) {
  for (const auto& shape : kShapes) {
    const ChunkPlan plan(shape, 64, 64);
    std::vector<float> ef = gaussian(plan.numel(), 3, 0.01F);
    const std::vector<float> delta = gaussian(plan.numel(), 4, 0.02F);
    std::vector<float> folded(ef.size());
    for (size_t i = 0; i < ef.size(); ++i) folded[i] = std::fma(0.95F, ef[i], delta[i]);
    const EncodedTensor t = encode_with_feedback(ef.data(), delta.data(), 0.95F, plan);
    std::vector<float> sent(ef.size(), 0.0F);
    scatter_add(t, plan, 1.0F, sent.data());
    std::set<int64_t> kept;
    size_t at = 0;
    for (int64_t ch = 0; ch < plan.chunk_count(); ++ch)
      for (int64_t j = 0; j < plan.chunk_k(ch); ++j) kept.insert(plan.flat_index(ch, t.indices[at++]));
    for (size_t i = 0; i < ef.size(); ++i) {
      if (kept.count(static_cast<int64_t>(i)) != 0) {
        REQUIRE_EQ(ef[i], folded[i] - sent[i]);  // residual = e − decoded value, exactly
      } else {
        REQUIRE_EQ(ef[i], folded[i]);  // untouched
      }
    }
  }
}

// The encoder folds e while it selects (src/codec/tile_scan.h), with AVX2 where the CPU has it. Both tile
// kernels and both encoder paths (the public one, which folds after a read-only selection pass, and the
// engine's, which folds during it) must equal the plain definition: fold everything, then select,
// quantize and subtract. Heavy rows and ties push chunks through the estimate's histogram fallback.
COHORT_TEST(encoder_paths_and_tile_kernels_match_the_definition) {
  for (const bool portable : {false, true}) {
    detail::use_portable_tile_kernels(portable);
    for (const auto& shape : kShapes) {
      for (const int topk : {64, 7, 600}) {
        const ChunkPlan plan(shape, 64, topk);
        std::vector<float> ef = gaussian(plan.numel(), 21, 0.01F);
        std::vector<float> delta = gaussian(plan.numel(), 22, 0.02F);
        for (size_t i = 0; i < delta.size(); i += 5) delta[i] = (i % 3 == 0) ? 0.5F : -0.5F;  // ties
        for (size_t i = 0; i < delta.size() / 8; ++i) delta[i] *= 1000.0F;                    // heavy rows
        std::vector<float> want = ef;
        for (size_t i = 0; i < want.size(); ++i) want[i] = std::fma(0.9F, want[i], delta[i]);
        const auto kept = static_cast<size_t>(plan.total_kept());
        std::vector<uint16_t> idx(kept);
        std::vector<float> val(kept);
        select_topk(want.data(), plan, idx.data(), val.data());
        std::vector<uint8_t> codes(kept);
        const QuantParams q = quantize_values(val.data(), plan, codes.data());
        size_t at = 0;
        for (int64_t ch = 0; ch < plan.chunk_count(); ++ch) {
          for (const uint16_t e : brute_topk(want, plan, ch)) REQUIRE_EQ(idx[at++], e);
        }
        at = 0;
        for (int64_t ch = 0; ch < plan.chunk_count(); ++ch) {
          for (int64_t j = 0; j < plan.chunk_k(ch); ++j, ++at) {
            want[static_cast<size_t>(plan.flat_index(ch, idx[at]))] -= dequantize(q, codes[at]);
          }
        }
        std::vector<float> ef2 = ef;
        const EncodedTensor a = encode_with_feedback(ef.data(), delta.data(), 0.9F, plan);
        const EncodedTensor b = detail::encode_with_feedback_checked(ef2.data(), delta.data(), 0.9F, plan);
        for (const EncodedTensor* t : {&a, &b}) {
          REQUIRE(t->indices == idx);
          REQUIRE(t->codes == codes);
          REQUIRE(std::memcmp(&t->quant, &q, sizeof q) == 0);
        }
        REQUIRE(std::memcmp(ef.data(), want.data(), want.size() * sizeof(float)) == 0);
        REQUIRE(std::memcmp(ef2.data(), want.data(), want.size() * sizeof(float)) == 0);
        // A fold that overflows anywhere is refused with the buffer untouched.
        delta.back() = 3.0e38F;
        ef.back() = 3.0e38F;
        const std::vector<float> before = ef;
        REQUIRE_THROWS_AS(encode_with_feedback(ef.data(), delta.data(), 0.9F, plan), InvalidArgumentError);
        REQUIRE(std::memcmp(ef.data(), before.data(), ef.size() * sizeof(float)) == 0);
      }
    }
  }
  detail::use_portable_tile_kernels(false);
}

COHORT_TEST(quantization_codes_and_codebook_follow_the_definition) {
  const ChunkPlan plan({128, 128}, 64, 64);
  const std::vector<float> data = gaussian(plan.numel(), 5);
  const EncodedTensor t = encode_tensor(data.data(), plan);
  // Recompute by the definition in plain fp64 (chunk partials summed in chunk order).
  std::vector<float> vals;
  size_t at = 0;
  for (int64_t ch = 0; ch < plan.chunk_count(); ++ch)
    for (int64_t j = 0; j < plan.chunk_k(ch); ++j) vals.push_back(data[static_cast<size_t>(plan.flat_index(ch, t.indices[at++]))]);
  double mean = 0;
  for (float v : vals) mean += v;
  mean /= static_cast<double>(vals.size());
  REQUIRE(std::fabs(t.quant.shift - mean) < 1e-6);
  std::map<int, int> histogram;
  for (uint8_t c : t.codes) ++histogram[c];
  REQUIRE(histogram.size() >= 2);  // the top-k set is bimodal: at least both signs
  for (size_t j = 0; j < vals.size(); ++j) {
    // Each value is closer to (or as close to) its own bin's mean than to the others' order: codes are
    // monotone in the value.
    for (size_t i = 0; i < vals.size(); i += 97) {
      if (vals[i] < vals[j]) REQUIRE(t.codes[i] <= t.codes[j]);
    }
  }
}

COHORT_TEST(update_round_trips_in_both_index_codings) {
  const auto table = table_of(kShapes);
  std::vector<EncodedTensor> tensors;
  for (size_t i = 0; i < table.size(); ++i) {
    const ChunkPlan plan(table[i].shape, 64, 64);
    const auto data = gaussian(plan.numel(), static_cast<uint32_t>(100 + i));
    tensors.push_back(encode_tensor(data.data(), plan));
  }
  for (IndexCoding coding : {IndexCoding::kPacked12, IndexCoding::kRice}) {
    ObjectHeader h = header_for(0x11);
    h.codec.index_coding = coding;
    const auto bytes = write_update(h, table, tensors);
    const DecodedUpdate u = decode_update(bytes.data(), bytes.size(), DecodeLimits{}, Expectations{});
    REQUIRE_EQ(u.header.run_id, h.run_id);
    REQUIRE_EQ(u.header.window, h.window);
    REQUIRE(u.header.hotkey == h.hotkey);
    REQUIRE(u.model_fingerprint == model_fingerprint(table));
    REQUIRE(u.digest == object_digest(bytes));
    REQUIRE_EQ(u.tensors.size(), table.size());
    for (size_t i = 0; i < table.size(); ++i) {
      REQUIRE(u.tensors[i].data.indices == tensors[i].indices);
      REQUIRE(u.tensors[i].data.codes == tensors[i].codes);
      REQUIRE(u.tensors[i].data.quant.lookup == tensors[i].quant.lookup);
      REQUIRE_EQ(u.tensors[i].data.quant.shift, tensors[i].quant.shift);
    }
    // Re-encoding the decoded content gives the same bytes: one canonical encoding.
    std::vector<EncodedTensor> again;
    for (const auto& t : u.tensors) again.push_back(t.data);
    REQUIRE(write_update(h, table, again) == bytes);
  }
}

COHORT_TEST(rice_coding_is_near_the_combinatorial_bound) {
  const ChunkPlan plan({1024, 1024}, 64, 64);
  const auto data = gaussian(plan.numel(), 9);
  const EncodedTensor t = encode_tensor(data.data(), plan);
  ObjectHeader h = header_for(1);
  const auto bytes = write_update(h, {{"w", DType::kF32, {1024, 1024}}}, {t});
  const double bits_per_param = static_cast<double>(bytes.size()) * 8.0 / static_cast<double>(plan.numel());
  std::printf("  1024x1024 @ 1/64: %.4f bits/parameter, %.1fx vs fp32\n", bits_per_param, 32.0 / bits_per_param);
  REQUIRE(bits_per_param < 0.16);
}

namespace {

// `peers` decoded updates of `table`, peer p (hotkey p + 1) drawing gaussian values of scale 0.1·(p + 1)
// from seed seed_step·p + tensor index: larger peers, so the median clip has something to clip.
std::vector<DecodedUpdate> peer_updates(const std::vector<TensorEntry>& table, uint8_t peers, uint32_t seed_step) {
  std::vector<DecodedUpdate> decoded;
  for (uint8_t p = 0; p < peers; ++p) {
    std::vector<EncodedTensor> tensors;
    for (size_t i = 0; i < table.size(); ++i) {
      const ChunkPlan plan(table[i].shape, 64, 64);
      const auto data = gaussian(plan.numel(), seed_step * p + static_cast<uint32_t>(i), 0.1F * (p + 1));
      tensors.push_back(encode_tensor(data.data(), plan));
    }
    const auto object = write_update(header_for(static_cast<uint8_t>(p + 1)), table, tensors);
    decoded.push_back(decode_update(object.data(), object.size(), DecodeLimits{}, Expectations{}));
  }
  return decoded;
}

}  // namespace

COHORT_TEST(aggregate_is_median_clipped_mean_over_choosers) {
  const auto table = table_of({{128, 192}, {67, 130}, {768}});
  const std::vector<DecodedUpdate> decoded = peer_updates(table, 5, 1000U);
  std::vector<const DecodedUpdate*> ptrs;
  for (const auto& u : decoded) ptrs.push_back(&u);
  const Aggregate agg = aggregate_updates(header_for(0xEE), ptrs);
  // Reference: dense per-coordinate mean over choosers with the clip factors, in fp64.
  for (size_t ti = 0; ti < table.size(); ++ti) {
    const ChunkPlan plan(table[ti].shape, 64, 64);
    std::vector<double> norms;
    for (const auto& u : decoded) {
      double s = 0;
      for (uint8_t c : u.tensors[ti].data.codes) {
        const double v = dequantize(u.tensors[ti].data.quant, c);
        s += v * v;
      }
      norms.push_back(std::sqrt(s));
    }
    const auto factors = clip_factors(norms);
    REQUIRE(*std::min_element(factors.begin(), factors.end()) < 1.0);  // the larger peers were clipped
    std::vector<double> sum(static_cast<size_t>(plan.numel()), 0.0);
    std::vector<int> cnt(sum.size(), 0);
    for (size_t p = 0; p < decoded.size(); ++p) {
      const auto& t = decoded[p].tensors[ti].data;
      size_t at = 0;
      for (int64_t ch = 0; ch < plan.chunk_count(); ++ch)
        for (int64_t j = 0; j < plan.chunk_k(ch); ++j, ++at) {
          const auto f = static_cast<size_t>(plan.flat_index(ch, t.indices[at]));
          sum[f] += static_cast<double>(dequantize(t.quant, t.codes[at])) * factors[p];
          ++cnt[f];
        }
    }
    size_t k = 0;
    for (size_t f = 0; f < sum.size(); ++f) {
      if (cnt[f] == 0) continue;
      REQUIRE_EQ(agg.tensors[ti].indices[k], f);
      REQUIRE_EQ(agg.tensors[ti].values[k], static_cast<float>(sum[f] / cnt[f]));
      ++k;
    }
    REQUIRE_EQ(k, agg.tensors[ti].indices.size());
  }
  // Wire round trip.
  const auto bytes = write_aggregate(agg);
  const Aggregate back = decode_aggregate(bytes.data(), bytes.size(), DecodeLimits{}, Expectations{});
  REQUIRE_EQ(back.contributors.size(), 5U);
  REQUIRE(back.contributors[2].payload_hash == decoded[2].digest);
  for (size_t ti = 0; ti < table.size(); ++ti) {
    REQUIRE(back.tensors[ti].indices == agg.tensors[ti].indices);
    REQUIRE(back.tensors[ti].values == agg.tensors[ti].values);
  }
}

COHORT_TEST(aggregate_clips_to_given_references_instead_of_the_median) {
  const auto table = table_of({{128, 192}, {67, 130}, {768}});
  const std::vector<DecodedUpdate> decoded = peer_updates(table, 4, 500U);
  std::vector<const DecodedUpdate*> ptrs;
  for (const auto& u : decoded) ptrs.push_back(&u);
  // The peers' own lower medians as references: the very aggregate the median rule gives.
  std::vector<double> medians;
  for (size_t ti = 0; ti < table.size(); ++ti) {
    std::vector<double> norms;
    for (const auto& u : decoded) norms.push_back(tensor_norm(u.tensors[ti]));
    std::sort(norms.begin(), norms.end());
    medians.push_back(norms[(norms.size() - 1) / 2]);
  }
  const Aggregate by_median = aggregate_updates(header_for(0xEE), ptrs);
  const Aggregate by_reference = aggregate_updates(header_for(0xEE), ptrs, &medians);
  REQUIRE(write_aggregate(by_median) == write_aggregate(by_reference));
  // One update against references of half its norm, ten times its norm and zero: scaled by ½ (to the
  // reference), untouched, and zeroed; an aggregate of one alone is never clipped.
  const DecodedUpdate& one = decoded[3];
  const std::vector<double> own = {tensor_norm(one.tensors[0]), tensor_norm(one.tensors[1]), tensor_norm(one.tensors[2])};
  const std::vector<double> refs = {own[0] / 2, own[1] * 10, 0.0};
  const Aggregate alone = aggregate_updates(header_for(0xEE), {&one});
  const Aggregate clipped = aggregate_updates(header_for(0xEE), {&one}, &refs);
  for (size_t ti = 0; ti < table.size(); ++ti) {
    const double factor = std::min(1.0, refs[ti] / (own[ti] + 1e-8));
    REQUIRE(clipped.tensors[ti].indices == alone.tensors[ti].indices);
    const auto& t = one.tensors[ti].data;
    std::vector<float> want;
    std::vector<std::pair<uint32_t, double>> entries;
    const ChunkPlan plan(table[ti].shape, 64, 64);
    size_t at = 0;
    for (int64_t ch = 0; ch < plan.chunk_count(); ++ch)
      for (int64_t j = 0; j < plan.chunk_k(ch); ++j, ++at)
        entries.emplace_back(static_cast<uint32_t>(plan.flat_index(ch, t.indices[at])),
                             static_cast<double>(dequantize(t.quant, t.codes[at])) * factor);
    std::sort(entries.begin(), entries.end());
    for (const auto& e : entries) want.push_back(static_cast<float>(e.second));
    REQUIRE(clipped.tensors[ti].values == want);
  }
  double half = 0;
  for (float v : clipped.tensors[0].values) half += static_cast<double>(v) * v;
  REQUIRE_NEAR(std::sqrt(half), own[0] / 2, own[0] * 1e-6);
  REQUIRE(alone.tensors[1].values == clipped.tensors[1].values);
  for (float v : clipped.tensors[2].values) REQUIRE_EQ(v, 0.0F);
  // A reference per tensor, each finite and ≥ 0.
  const std::vector<double> too_few = {1.0, 1.0};
  const std::vector<double> negative = {1.0, -1.0, 1.0};
  const std::vector<double> not_finite = {1.0, 1.0, std::nan("")};
  REQUIRE_THROWS_AS(aggregate_updates(header_for(0xEE), {&one}, &too_few), InvalidArgumentError);
  REQUIRE_THROWS_AS(aggregate_updates(header_for(0xEE), {&one}, &negative), InvalidArgumentError);
  REQUIRE_THROWS_AS(aggregate_updates(header_for(0xEE), {&one}, &not_finite), InvalidArgumentError);
}

namespace {

// A three-tensor aggregate whose bytes the test may corrupt: values and indices are written as given.
Aggregate three_tensors(float bad_value_in_0, uint32_t index_past_end_in, float bad_value_in_2) {
  Aggregate a;
  a.header.run_id = "order";
  a.header.window = 3;
  a.header.codec = CodecParams{64, 8, IndexCoding::kRice};
  a.contributors.push_back({});
  a.contributors[0].hotkey.fill(7);
  for (int t = 0; t < 3; ++t) {
    AggregateTensor x;
    x.entry = {"t" + std::to_string(t), DType::kF32, {40, 50}};
    for (uint32_t i = 0; i < 30; ++i) {
      x.indices.push_back(i * 60 + static_cast<uint32_t>(t));
      x.values.push_back(0.01F * static_cast<float>(i + 1));
    }
    a.tensors.push_back(x);
  }
  a.tensors[0].values[4] = bad_value_in_0;
  a.tensors[2].values[9] = bad_value_in_2;
  if (index_past_end_in < 3) a.tensors[index_past_end_in].indices.back() = 40 * 50 + 5;
  return a;
}

constexpr auto rejection = cohort::test::aggregate_rejection;

}  // namespace

// decode_aggregate checks tensors on several threads but reports what a tensor-by-tensor reader meets
// first: the earliest tensor's problem, and within a tensor values before indices.
COHORT_TEST(aggregate_decoder_reports_the_first_problem_in_tensor_order) {
  const float nan = std::nanf("");
  REQUIRE(!rejection(write_aggregate(three_tensors(0.5F, 9, 0.5F))).has_value());
  REQUIRE(rejection(write_aggregate(three_tensors(nan, 2, 0.5F))) == Reason::kBadValue);
  REQUIRE(rejection(write_aggregate(three_tensors(0.5F, 0, nan))) == Reason::kIndexOutOfRange);
  REQUIRE(rejection(write_aggregate(three_tensors(nan, 0, 0.5F))) == Reason::kBadValue);
  // A structural problem in a later tensor (reserved bytes set, hash made valid again) comes after an
  // earlier tensor's bad value, and before a later one's.
  for (const bool earlier_bad : {true, false}) {
    std::vector<uint8_t> bytes = write_aggregate(three_tensors(earlier_bad ? nan : 0.5F, 9, nan));
    std::vector<uint8_t> stream;
    (void)detail::write_rice_flat(three_tensors(0.5F, 9, 0.5F).tensors[1].indices, stream);
    // Tensor 1's reserved byte sits after tensor 2's block and tensor 1's values and indices, from the end
    // (30 distinct values: raw, not a palette).
    const size_t tensor2 = 12 + 4 * 30 + stream.size();  // tensors 1 and 2 have the same index gaps
    const size_t reserved1 = bytes.size() - 96 - tensor2 - stream.size() - 4 * 30 - 4 - 1;
    REQUIRE_EQ(bytes[reserved1], 0);
    bytes[reserved1] = 1;
    bytes.resize(bytes.size() - 96);
    detail::finish_object(bytes);
    REQUIRE(rejection(bytes) == (earlier_bad ? Reason::kBadValue : Reason::kBadFlags));
  }
}

int main() { return cohort::test::run_all(); }
