// The aggregate A_w of protocol §6: the selected peers' updates dequantized, each peer's per-tensor L2 norm
// clipped to the median across peers, then a per-coordinate mean over the peers that chose the coordinate.
// Deterministic bit for bit on any machine: peers in selection order, fp64 accumulation in a fixed order,
// no dependence on threads or arrival order.
#pragma once

#include <cstdint>
#include <vector>

#include "cohort/codec/wire.h"

namespace cohort::codec {

// One contributor of an aggregate: its hotkey and the BLAKE2b-256 of its update object.
struct Contributor {
  Bytes32 hotkey{};
  Bytes32 payload_hash{};
};

// One tensor of the aggregate: ascending row-major flat indices and their fp32 values.
struct AggregateTensor {
  TensorEntry entry;
  std::vector<uint32_t> indices;
  std::vector<float> values;
};

struct Aggregate {
  ObjectHeader header;  // hotkey: the aggregator; data_receipt: zero
  // The wire-format version it is written in (decode_aggregate: the version it was read in): 2, or 1
  // for an aggregate written before palette-coded values (all values raw fp32).
  uint8_t format_version = kAggregateFormatVersion;
  Bytes32 model_fingerprint{};
  Bytes32 digest{};  // set by decode_aggregate
  std::vector<Contributor> contributors;
  std::vector<AggregateTensor> tensors;
};

// Aggregates decoded updates in selection order (at least one). All must share one tensor table and codec
// parameters; throws InvalidArgumentError otherwise. `header` supplies run, window, aggregator hotkey and
// state fingerprint; codec parameters and contributors are taken from the updates.
//
// `clip_to`, when given, holds one clip reference per tensor (finite, ≥ 0) that replaces the median of
// the updates' own norms: each update's tensor t is scaled by min(1, clip_to[t] / (norm + 1e-8)). The
// Gauntlet uses it to measure one update as a window's aggregate would apply it (protocol §5: median-norm
// clipped against the window's other updates), which an aggregate of one alone never is. A wrong count or
// a negative or non-finite reference is an InvalidArgumentError.
Aggregate aggregate_updates(const ObjectHeader& header, const std::vector<const DecodedUpdate*>& updates,
                            const std::vector<double>* clip_to = nullptr);

// The fp64 L2 norm of a tensor's dequantized values, summed in stored order.
double tensor_norm(const DecodedTensor& tensor);

// The clipping factor per peer for one tensor: min(1, reference / (norm + 1e-8)), where norm is the fp64
// L2 norm of the peer's dequantized values and the reference the lower median of the norms.
std::vector<double> clip_factors(const std::vector<double>& norms);

// The same factors against a given reference instead of the median.
std::vector<double> clip_factors(const std::vector<double>& norms, double reference);

std::vector<uint8_t> write_aggregate(const Aggregate& aggregate);
Aggregate decode_aggregate(const uint8_t* data, size_t size, const DecodeLimits& limits, const Expectations& expect);

}  // namespace cohort::codec
