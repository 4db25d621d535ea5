// Palette-coded aggregate values (wire format §7, version 2; ADR 0022): the palette's canonical order and
// ranks, the exp-Golomb rank codes, the writer's choice between palette and raw fp32, exact round trips,
// version 1 still read, and every non-canonical or out-of-range variant rejected with its reason.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <string>

#include "cohort/codec/aggregate.h"
#include "cohort/codec/encode.h"
#include "cohort/codec/wire.h"
#include "codec/bit_io.h"
#include "codec/value_palette.h"
#include "codec/wire_common.h"
#include "aggregate_rejection.h"
#include "test_harness.h"

using namespace cohort;
using namespace cohort::codec;

namespace {

uint32_t bits_of(float v) {
  uint32_t b = 0;
  std::memcpy(&b, &v, 4);
  return b;
}

ObjectHeader header_for(uint8_t key) {
  ObjectHeader h;
  h.run_id = "palette";
  h.window = 11;
  h.hotkey.fill(key);
  h.state_fingerprint.fill(0x5A);
  h.codec = CodecParams{64, 64, IndexCoding::kRice};
  return h;
}

// The aggregate of `peers` encoded gaussian updates over a few shapes (fixed seeds), as the aggregator
// builds it: most coordinates are chosen by one peer, so each tensor holds few distinct values.
Aggregate aggregate_of(int peers) {
  const std::vector<TensorEntry> table = {{"w", DType::kF32, {256, 192}}, {"v", DType::kF32, {67, 130}},
                                          {"norm", DType::kF32, {768}}};
  std::vector<DecodedUpdate> decoded;
  for (int p = 0; p < peers; ++p) {
    std::vector<EncodedTensor> tensors;
    for (size_t i = 0; i < table.size(); ++i) {
      const ChunkPlan plan(table[i].shape, 64, 64);
      std::mt19937 rng(1000U * static_cast<uint32_t>(p) + static_cast<uint32_t>(i));
      std::normal_distribution<float> dist(0.0F, 0.01F * static_cast<float>(p + 1));
      std::vector<float> data(static_cast<size_t>(plan.numel()));
      for (float& x : data) x = dist(rng);
      tensors.push_back(encode_tensor(data.data(), plan));
    }
    const auto bytes = write_update(header_for(static_cast<uint8_t>(p + 1)), table, tensors);
    decoded.push_back(decode_update(bytes.data(), bytes.size(), DecodeLimits{}, Expectations{}));
  }
  std::vector<const DecodedUpdate*> ptrs;
  for (const auto& u : decoded) ptrs.push_back(&u);
  return aggregate_updates(header_for(0xEE), ptrs);
}

constexpr auto rejection = cohort::test::aggregate_rejection;

// Recomputes the total length and the trailer hash after an edit (the signature stays zero).
void reseal(std::vector<uint8_t>& bytes) {
  bytes.resize(bytes.size() - kTrailerBytes);
  detail::finish_object(bytes);
}

// Offset of tensor `which`'s 12-byte fixed fields in an aggregate written by write_aggregate.
size_t tensor_offset(const std::vector<uint8_t>& bytes, size_t which) {
  const size_t contributors = detail::get_le(bytes.data() + kFixedHeaderBytes, 4);
  size_t at = kFixedHeaderBytes + 4 + 64 * contributors;
  const size_t tensors = detail::get_le(bytes.data() + at, 4);
  at += 4;
  for (size_t t = 0; t < tensors; ++t) {
    at += 2 + detail::get_le(bytes.data() + at, 2);
    const uint8_t rank = bytes[at + 1];
    at += 2 + 4 * static_cast<size_t>(rank);
  }
  for (size_t t = 0; t < which; ++t) {
    const size_t n = detail::get_le(bytes.data() + at, 4);
    const uint8_t coding = bytes[at + 5];
    const size_t index_len = detail::get_le(bytes.data() + at + 8, 4);
    at += 12;
    if (coding == 0) {
      at += 4 * n;
    } else {
      const size_t unique = detail::get_le(bytes.data() + at, 4);
      at += 4 + 4 * unique;
      at += 4 + detail::get_le(bytes.data() + at, 4);
    }
    at += index_len;
  }
  return at;
}

}  // namespace

COHORT_TEST(palette_is_ordered_by_count_then_bits_and_ranks_point_into_it) {
  const std::vector<float> values = {0.5F, -1.0F, 0.5F, 2.0F, -1.0F, 0.5F, 3.0F, -0.0F, 0.0F, 2.0F};
  std::vector<uint32_t> ranks;
  const detail::Palette p = detail::palette_of(values.data(), values.size(), &ranks);
  // 0.5 ×3; then -1 and 2 ×2 (by bits: 2.0 = 0x40000000 < -1.0 = 0xBF800000); then 0, 3 and -0 ×1.
  const std::vector<float> order = {0.5F, 2.0F, -1.0F, 0.0F, 3.0F, -0.0F};
  REQUIRE_EQ(p.bits.size(), order.size());
  for (size_t r = 0; r < order.size(); ++r) REQUIRE_EQ(p.bits[r], bits_of(order[r]));
  REQUIRE(p.counts == (std::vector<uint64_t>{3, 2, 2, 1, 1, 1}));
  for (size_t j = 0; j < values.size(); ++j) REQUIRE_EQ(p.bits[ranks[j]], bits_of(values[j]));
  REQUIRE(detail::palette_of(values.data(), 0, &ranks).bits.empty());
  REQUIRE(ranks.empty());
}

COHORT_TEST(golomb_ranks_round_trip_and_the_order_is_the_shortest) {
  std::mt19937 rng(5);
  for (const uint32_t unique : {1U, 2U, 80U, 3000U, 70000U}) {
    std::vector<float> palette(unique);
    for (uint32_t r = 0; r < unique; ++r) palette[r] = static_cast<float>(r) * 0.25F;
    // Geometric-ish ranks: low ranks common, as in a frequency-ordered palette.
    std::geometric_distribution<uint32_t> geo(unique > 100 ? 0.01 : 0.3);
    std::vector<uint32_t> ranks(5000);
    for (uint32_t& r : ranks) r = std::min(geo(rng), unique - 1);
    std::vector<uint64_t> counts(unique, 0);
    for (uint32_t r : ranks) ++counts[r];
    uint64_t best_bits = 0;
    const uint8_t best = detail::best_golomb_order(counts, &best_bits);
    for (uint8_t k = 0; k <= detail::kMaxGolombOrder; ++k) {
      std::vector<uint8_t> stream;
      detail::write_golomb_ranks(ranks, k, stream);
      const uint64_t bits = detail::golomb_stream_bits(counts, k);
      REQUIRE_EQ(stream.size(), (bits + 7) / 8);
      REQUIRE(bits >= best_bits);
      if (k < best) REQUIRE(bits > best_bits);
      if (k == best) REQUIRE_EQ(bits, best_bits);
      std::vector<float> back(ranks.size());
      std::vector<uint64_t> used;
      detail::read_golomb_values(stream.data(), stream.size(), k, palette, static_cast<uint32_t>(ranks.size()), "t",
                                 back.data(), used);
      REQUIRE(used == counts);
      for (size_t j = 0; j < ranks.size(); ++j) REQUIRE_EQ(back[j], palette[ranks[j]]);
    }
  }
  // A code longer than one 57-bit window (rank 2^29 at order 0: 59 bits) is read whole, and a rank past
  // the palette is BAD_VALUE; a stream cut inside a code is TRUNCATED.
  for (const bool cut : {false, true}) {
    std::vector<uint8_t> stream;
    detail::write_golomb_ranks({3, 1U << 29, 2}, 0, stream);
    if (cut) stream.resize(5);
    const std::vector<float> four = {0.0F, 1.0F, 2.0F, 3.0F};
    std::vector<float> back(3);
    std::vector<uint64_t> used;
    std::optional<Reason> reason;
    std::string detail;
    try {
      detail::read_golomb_values(stream.data(), stream.size(), 0, four, 3, "t", back.data(), used);
    } catch (const CodecError& e) {
      reason = e.reason();
      detail = e.what();
    }
    REQUIRE(reason == (cut ? Reason::kTruncated : Reason::kBadValue));
    if (!cut) REQUIRE(detail.find("rank 536870912 ") != std::string::npos);
  }
  // The largest rank of the largest order still fits the 32-bit suffix.
  std::vector<uint8_t> stream;
  detail::write_golomb_ranks({0xFFFFFFFEU}, detail::kMaxGolombOrder, stream);
  BitReader r(stream.data(), stream.size());
  uint32_t m = 0;
  uint32_t low = 0;
  REQUIRE(r.unary(32U - detail::kMaxGolombOrder, m));
  REQUIRE(r.read(static_cast<int>(m + detail::kMaxGolombOrder), low));
  REQUIRE_EQ(((uint64_t{1} << (m + detail::kMaxGolombOrder)) | low) - (uint64_t{1} << detail::kMaxGolombOrder),
             uint64_t{0xFFFFFFFEU});
}

COHORT_TEST(aggregates_are_palette_coded_smaller_and_decode_to_the_same_values) {
  Aggregate agg = aggregate_of(8);
  const std::vector<uint8_t> v2 = write_aggregate(agg);
  agg.format_version = 1;
  const std::vector<uint8_t> v1 = write_aggregate(agg);
  REQUIRE_EQ(v2[detail::kOffVersion], 2);
  REQUIRE_EQ(v1[detail::kOffVersion], 1);
  // The two big tensors take a palette, the dense 1-D norm (every coordinate, many means) may not.
  REQUIRE_EQ(v2[tensor_offset(v2, 0) + 5], 1);
  REQUIRE_EQ(v2[tensor_offset(v2, 1) + 5], 1);
  std::printf("  8 peers: version 1 %zu bytes, version 2 %zu bytes (%.2fx smaller)\n", v1.size(), v2.size(),
              static_cast<double>(v1.size()) / static_cast<double>(v2.size()));
  REQUIRE(static_cast<double>(v2.size()) < 0.6 * static_cast<double>(v1.size()));
  const Aggregate a2 = decode_aggregate(v2.data(), v2.size(), DecodeLimits{}, Expectations{});
  const Aggregate a1 = decode_aggregate(v1.data(), v1.size(), DecodeLimits{}, Expectations{});
  REQUIRE_EQ(a2.format_version, 2);
  REQUIRE_EQ(a1.format_version, 1);
  REQUIRE_EQ(a2.tensors.size(), agg.tensors.size());
  for (size_t t = 0; t < agg.tensors.size(); ++t) {
    REQUIRE(a2.tensors[t].indices == agg.tensors[t].indices);
    REQUIRE(a1.tensors[t].indices == agg.tensors[t].indices);
    REQUIRE_EQ(a2.tensors[t].values.size(), agg.tensors[t].values.size());
    REQUIRE(std::memcmp(a2.tensors[t].values.data(), agg.tensors[t].values.data(), 4 * agg.tensors[t].values.size()) == 0);
    REQUIRE(std::memcmp(a1.tensors[t].values.data(), agg.tensors[t].values.data(), 4 * agg.tensors[t].values.size()) == 0);
  }
  // Each decodes and re-encodes to its own bytes (one canonical encoding per version).
  REQUIRE(write_aggregate(a2) == v2);
  REQUIRE(write_aggregate(a1) == v1);
}

COHORT_TEST(few_distinct_values_take_a_palette_and_distinct_ones_stay_raw) {
  Aggregate a;
  a.header = header_for(0xEE);
  a.contributors.push_back({});
  AggregateTensor few;
  few.entry = {"few", DType::kF32, {100, 100}};
  AggregateTensor distinct;
  distinct.entry = {"distinct", DType::kF32, {100, 100}};
  for (uint32_t i = 0; i < 400; ++i) {
    few.indices.push_back(i * 25);
    few.values.push_back(i % 3 == 0 ? 0.25F : -0.5F);
    distinct.indices.push_back(i * 25);
    distinct.values.push_back(0.001F * static_cast<float>(i + 1));
  }
  a.tensors = {few, distinct};
  const auto bytes = write_aggregate(a);
  const size_t t0 = tensor_offset(bytes, 0);
  const size_t t1 = tensor_offset(bytes, 1);
  REQUIRE_EQ(bytes[t0 + 5], 1);  // palette
  REQUIRE_EQ(detail::get_le(bytes.data() + t0 + 12, 4), 2U);  // of two values
  REQUIRE_EQ(bytes[t1 + 5], 0);  // raw
  REQUIRE(!rejection(bytes).has_value());
}

COHORT_TEST(non_canonical_and_broken_palettes_are_rejected) {
  const Aggregate agg = aggregate_of(4);
  const std::vector<uint8_t> good = write_aggregate(agg);
  REQUIRE(!rejection(good).has_value());
  const size_t t0 = tensor_offset(good, 0);
  REQUIRE_EQ(good[t0 + 5], 1);
  const size_t palette = t0 + 12 + 4;  // after the palette size
  const auto unique = static_cast<size_t>(detail::get_le(good.data() + t0 + 12, 4));
  REQUIRE(unique >= 2);
  auto edited = [&](const std::function<void(std::vector<uint8_t>&)>& edit) {
    std::vector<uint8_t> b = good;
    edit(b);
    reseal(b);
    return rejection(b);
  };
  // The palette as the writer orders it (from the decoded values): two entries with equal counts swapped
  // are out of canonical order; an entry repeated in another entry's place is a value twice.
  const Aggregate decoded = decode_aggregate(good.data(), good.size(), DecodeLimits{}, Expectations{});
  const detail::Palette p0 = detail::palette_of(decoded.tensors[0].values.data(), decoded.tensors[0].values.size(), nullptr);
  REQUIRE_EQ(p0.bits.size(), unique);
  REQUIRE_EQ(detail::get_le(good.data() + palette, 4), p0.bits[0]);
  size_t tie = 0;
  while (tie + 1 < unique && p0.counts[tie] != p0.counts[tie + 1]) ++tie;
  REQUIRE(tie + 1 < unique);
  auto entry = [&](size_t r) { return palette + 4 * r; };
  REQUIRE(edited([&](auto& b) {
            for (size_t i = 0; i < 4; ++i) std::swap(b[entry(tie) + i], b[entry(tie + 1) + i]);
          }) == Reason::kBadPadding);
  REQUIRE(p0.counts[0] > p0.counts[unique - 1]);
  REQUIRE(edited([&](auto& b) { std::memcpy(b.data() + entry(unique - 1), b.data() + entry(0), 4); }) ==
          Reason::kBadPadding);
  // Another exp-Golomb order: the same ranks no longer read (or not canonically).
  const uint8_t k = good[t0 + 6];
  REQUIRE(edited([&](auto& b) { b[t0 + 6] = static_cast<uint8_t>(k + 1); }).has_value());
  // An order out of range, an unknown value coding, a set reserved byte.
  REQUIRE(edited([&](auto& b) { b[t0 + 6] = 32; }) == Reason::kBadCodecParams);
  REQUIRE(edited([&](auto& b) { b[t0 + 5] = 2; }) == Reason::kBadCodecParams);
  REQUIRE(edited([&](auto& b) { b[t0 + 7] = 1; }) == Reason::kBadFlags);
  // A palette value that is not finite, or above the cap.
  REQUIRE(edited([&](auto& b) {
            const uint32_t nan = 0x7FC00000U;
            std::memcpy(b.data() + palette, &nan, 4);
          }) == Reason::kBadValue);
  // A palette shorter than its ranks need: the largest rank points past it.
  REQUIRE(edited([&](auto& b) {
            const uint32_t smaller = static_cast<uint32_t>(unique - 1);
            std::memcpy(b.data() + t0 + 12, &smaller, 4);
            b.erase(b.begin() + static_cast<std::ptrdiff_t>(palette + 4 * (unique - 1)),
                    b.begin() + static_cast<std::ptrdiff_t>(palette + 4 * unique));
          }) == Reason::kBadValue);
  // A palette larger than the entries, or empty.
  REQUIRE(edited([&](auto& b) {
            const uint32_t zero = 0;
            std::memcpy(b.data() + t0 + 12, &zero, 4);
          }) == Reason::kSizeMismatch);
  // The same values raw in a version 2 object: a palette is smaller, so raw is not canonical there.
  Aggregate raw = agg;
  raw.format_version = 1;
  std::vector<uint8_t> v1 = write_aggregate(raw);
  REQUIRE(!rejection(v1).has_value());
  v1[detail::kOffVersion] = 2;
  reseal(v1);
  REQUIRE(rejection(v1) == Reason::kBadPadding);
  // A version 1 object may not use a palette, and version 3 is unknown.
  std::vector<uint8_t> as_v1 = good;
  as_v1[detail::kOffVersion] = 1;
  reseal(as_v1);
  REQUIRE(rejection(as_v1) == Reason::kBadFlags);
  std::vector<uint8_t> v3 = good;
  v3[detail::kOffVersion] = 3;
  reseal(v3);
  REQUIRE(rejection(v3) == Reason::kUnsupportedVersion);
}

COHORT_TEST(updates_stay_version_1) {
  const ChunkPlan plan({64, 64}, 64, 64);
  std::vector<float> data(static_cast<size_t>(plan.numel()), 0.5F);
  const auto bytes = write_update(header_for(1), {{"w", DType::kF32, {64, 64}}}, {encode_tensor(data.data(), plan)});
  REQUIRE_EQ(bytes[detail::kOffVersion], 1);
  std::vector<uint8_t> v2 = bytes;
  v2[detail::kOffVersion] = 2;
  reseal(v2);
  bool rejected = false;
  try {
    (void)decode_update(v2.data(), v2.size(), DecodeLimits{}, Expectations{});
  } catch (const CodecError& e) {
    rejected = e.reason() == Reason::kUnsupportedVersion;
  }
  REQUIRE(rejected);
}

int main() { return cohort::test::run_all(); }
