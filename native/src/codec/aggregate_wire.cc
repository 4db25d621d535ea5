// Aggregate objects ('A'): writer and validating reader (docs/wire-format.md §7).
#include <cmath>
#include <set>

#include "cohort/codec/aggregate.h"
#include "cohort/errors.h"
#include "codec/wire_common.h"

namespace cohort::codec {

constexpr uint64_t kMaxContributors = 65535;

std::vector<uint8_t> write_aggregate(const Aggregate& a) {
  if (a.contributors.empty() || a.contributors.size() > kMaxContributors || a.tensors.empty()) {
    throw InvalidArgumentError(expected_message("1 to 65535 contributors and at least one tensor", "aggregate",
                                                std::to_string(a.contributors.size()) + " contributors"));
  }
  std::vector<TensorEntry> table;
  for (const AggregateTensor& t : a.tensors) {
    table.push_back(t.entry);
  }
  const std::vector<uint8_t> table_bytes = encode_tensor_table(table);
  std::vector<uint8_t> out;
  ObjectHeader h = a.header;
  h.codec.index_coding = IndexCoding::kRice;
  h.data_receipt = {};
  detail::write_fixed_header(out, ObjectKind::kAggregate, h, 32, blake2b256(table_bytes.data(), table_bytes.size()));
  detail::put_le(out, a.contributors.size(), 4);
  for (const Contributor& c : a.contributors) {
    detail::put_bytes(out, c.hotkey.data(), 32);
    detail::put_bytes(out, c.payload_hash.data(), 32);
  }
  detail::put_bytes(out, table_bytes.data(), table_bytes.size());
  std::vector<uint8_t> index_bytes;
  for (const AggregateTensor& t : a.tensors) {
    if (t.indices.size() != t.values.size()) {
      throw InvalidArgumentError(expected_message("one value per index", "aggregate tensor " + t.entry.name,
                                                  std::to_string(t.values.size())));
    }
    index_bytes.clear();
    const uint8_t rice = detail::write_rice_flat(t.indices, index_bytes);
    detail::put_le(out, t.indices.size(), 4);
    detail::put_u8(out, rice);
    detail::put_le(out, 0, 3);
    detail::put_le(out, index_bytes.size(), 4);
    for (float v : t.values) {
      detail::put_f32(out, v);
    }
    detail::put_bytes(out, index_bytes.data(), index_bytes.size());
  }
  detail::finish_object(out);
  return out;
}

Aggregate decode_aggregate(const uint8_t* data, size_t size, const DecodeLimits& limits, const Expectations& expect) {
  Aggregate a;
  a.header = detail::read_fixed_header(data, size, ObjectKind::kAggregate, 32, limits, expect, &a.model_fingerprint,
                                       &a.digest);
  if (a.header.data_receipt != Bytes32{}) {
    throw CodecError(Reason::kBadFlags, "an aggregate's data receipt field must be zero");
  }
  detail::Cursor cur(data, size - kTrailerBytes, kFixedHeaderBytes);
  const uint64_t contributors = cur.le(4, "contributor count");
  if (contributors == 0 || contributors > kMaxContributors || contributors * 64 > cur.remaining()) {
    throw CodecError(Reason::kBadContributors, std::to_string(contributors) + " contributors");
  }
  std::set<Bytes32> seen;
  for (uint64_t i = 0; i < contributors; ++i) {
    Contributor c;
    std::copy_n(cur.take(32, "contributor hotkey"), 32, c.hotkey.begin());
    std::copy_n(cur.take(32, "contributor payload hash"), 32, c.payload_hash.begin());
    if (!seen.insert(c.hotkey).second) {
      throw CodecError(Reason::kBadContributors, "hotkey " + to_hex(c.hotkey.data(), 32) + " twice");
    }
    a.contributors.push_back(c);
  }
  std::vector<TensorEntry> table = detail::read_tensor_table(cur, limits, a.model_fingerprint, expect);
  for (TensorEntry& entry : table) {
    AggregateTensor t;
    t.entry = std::move(entry);
    const std::string& name = t.entry.name;
    uint64_t numel = 1;
    for (int64_t d : t.entry.shape) {
      numel *= static_cast<uint64_t>(d);
    }
    const uint64_t n = cur.le(4, "aggregate count");
    const auto rice = static_cast<uint8_t>(cur.le(1, "Rice parameter"));
    if (cur.le(3, "reserved") != 0) {
      throw CodecError(Reason::kBadFlags, name + ": reserved tensor bytes set");
    }
    const uint64_t index_len = cur.le(4, "index length");
    if (n > numel) {
      throw CodecError(Reason::kSizeMismatch, name + ": " + std::to_string(n) + " entries in " + std::to_string(numel));
    }
    if (n * 4 > cur.remaining() || index_len > cur.remaining() - n * 4) {
      throw CodecError(Reason::kTruncated, name + ": " + std::to_string(n) + " values and " + std::to_string(index_len) +
                                               " index bytes, " + std::to_string(cur.remaining()) + " left");
    }
    t.values.resize(n);
    for (float& v : t.values) {
      v = cur.f32("value");
      if (!std::isfinite(v) || std::fabs(v) > limits.max_abs_value) {
        throw CodecError(Reason::kBadValue, name + ": value " + std::to_string(v));
      }
    }
    t.indices.resize(n);
    detail::read_rice_flat(cur.take(index_len, "indices"), index_len, rice, numel, name, t.indices);
    a.tensors.push_back(std::move(t));
  }
  if (cur.remaining() != 0) {
    throw CodecError(Reason::kSizeMismatch, std::to_string(cur.remaining()) + " body bytes after the last tensor");
  }
  return a;
}

}  // namespace cohort::codec
