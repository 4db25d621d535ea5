// The reason decode_aggregate gives for some bytes, or none when it accepts them: what the codec tests
// compare against when they corrupt an aggregate.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "cohort/codec/aggregate.h"

namespace cohort::test {

inline std::optional<codec::Reason> aggregate_rejection(const std::vector<uint8_t>& bytes) {
  try {
    (void)codec::decode_aggregate(bytes.data(), bytes.size(), codec::DecodeLimits{}, codec::Expectations{});
  } catch (const codec::CodecError& e) {
    return e.reason();
  }
  return std::nullopt;
}

}  // namespace cohort::test
