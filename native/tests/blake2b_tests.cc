// BLAKE2b against RFC 7693 Appendix A and reference digests (Python's hashlib, an independent
// implementation), keyed and truncated variants, incremental hashing in arbitrary pieces, the hex helpers
// and the error contract.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "cohort/blake2b.h"
#include "cohort/errors.h"
#include "test_harness.h"

namespace {

std::string hex(const std::vector<uint8_t>& bytes) { return cohort::to_hex(bytes.data(), bytes.size()); }

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> bytes(n);
  for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 3);
  return bytes;
}

std::vector<uint8_t> iota(size_t n) {
  std::vector<uint8_t> bytes(n);
  for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>(i);
  return bytes;
}

}  // namespace

COHORT_TEST(blake2b512_matches_rfc7693_appendix_a) {
  REQUIRE_EQ(hex(cohort::blake2b("abc", 3, 64)),
             "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
             "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
}

COHORT_TEST(blake2b256_of_abc_and_empty_input) {
  REQUIRE_EQ(cohort::to_hex(cohort::blake2b256("abc", 3)),
             "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
  REQUIRE_EQ(cohort::to_hex(cohort::blake2b256(nullptr, 0)),
             "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  REQUIRE_EQ(hex(cohort::blake2b(nullptr, 0, 64)),
             "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
             "d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce");
}

COHORT_TEST(blake2b_keyed_and_truncated_match_reference) {
  const std::vector<uint8_t> key = iota(64);
  const std::vector<uint8_t> input = iota(256);
  // The BLAKE2 reference KAT (key 00..3f, input 00..ff).
  REQUIRE_EQ(hex(cohort::blake2b(input.data(), input.size(), 64, key.data(), key.size())),
             "b72071e096277edebb8ee5134dd3714996307ba3a55aa4733d412abbe28e909e"
             "10e57e6fbfb4ef53b3b960518294ff889a90829254412e2a60b85add07a3674f");
  // Keyed, empty input: the key block is the last block.
  REQUIRE_EQ(hex(cohort::blake2b(nullptr, 0, 64, key.data(), key.size())),
             "10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786"
             "b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568");
  REQUIRE_EQ(hex(cohort::blake2b("abc", 3, 1)), "6b");
  REQUIRE_EQ(hex(cohort::blake2b("abc", 3, 20, "k", 1)), "80c13d2f8ead0851ff032b67bac5384ee17f35c7");
}

COHORT_TEST(blake2b_incremental_pieces_equal_one_shot) {
  const std::vector<uint8_t> data = pattern(1000);
  REQUIRE_EQ(cohort::to_hex(cohort::blake2b256(data.data(), data.size())),
             "d62b6c768ce1afc8367e0498ab2f8e3f7c178c35b1429f14c4604b545d200f52");
  // Piece sizes around the 128-byte block boundary, including empty updates.
  for (const size_t piece : {size_t{1}, size_t{7}, size_t{127}, size_t{128}, size_t{129}, size_t{256}, size_t{999}}) {
    cohort::Blake2b hasher(32);
    for (size_t at = 0; at < data.size(); at += piece) {
      hasher.update(data.data() + at, std::min(piece, data.size() - at));
      hasher.update(nullptr, 0);
    }
    REQUIRE_EQ(cohort::to_hex(hasher.final256()), cohort::to_hex(cohort::blake2b256(data.data(), data.size())));
  }
  // Exact multiples of the block length: the last full block must carry the final flag.
  for (const size_t n : {size_t{128}, size_t{256}, size_t{384}}) {
    cohort::Blake2b hasher(64);
    hasher.update(data.data(), n / 2);
    hasher.update(data.data() + n / 2, n - n / 2);
    REQUIRE_EQ(hex(hasher.final()), hex(cohort::blake2b(data.data(), n, 64)));
  }
}

COHORT_TEST(blake2b_hex_round_trip) {
  const cohort::Blake2b256Digest digest = cohort::blake2b256("abc", 3);
  REQUIRE(cohort::blake2b256_from_hex(cohort::to_hex(digest), "digest") == digest);
  REQUIRE(cohort::blake2b256_from_hex("BDDD813C634239723171EF3FEE98579B94964E3BB1CB3E427262C8C068D52319", "d") ==
          digest);
  REQUIRE_THROWS_AS(cohort::blake2b256_from_hex("bddd", "digest"), cohort::InvalidArgumentError);
  REQUIRE_THROWS_AS(
      cohort::blake2b256_from_hex("zddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319", "digest"),
      cohort::InvalidArgumentError);
}

COHORT_TEST(blake2b_rejects_bad_parameters_and_reuse) {
  REQUIRE_THROWS_AS(cohort::Blake2b(0), cohort::InvalidArgumentError);
  REQUIRE_THROWS_AS(cohort::Blake2b(65), cohort::InvalidArgumentError);
  const std::vector<uint8_t> long_key(65, 1);
  REQUIRE_THROWS_AS(cohort::Blake2b(32, long_key.data(), long_key.size()), cohort::InvalidArgumentError);
  REQUIRE_THROWS_AS(cohort::Blake2b(32, nullptr, 4), cohort::InvalidArgumentError);
  cohort::Blake2b hasher(64);
  REQUIRE_THROWS_AS(hasher.final256(), cohort::IllegalStateError);
  hasher.final();
  REQUIRE_THROWS_AS(hasher.update("a", 1), cohort::IllegalStateError);
  REQUIRE_THROWS_AS(hasher.final(), cohort::IllegalStateError);
}

int main() { return cohort::test::run_all(); }
