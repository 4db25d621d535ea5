// Aggregate objects ('A'): writer and validating reader (docs/wire-format.md §7).
#include <cmath>
#include <exception>
#include <set>

#include "cohort/codec/aggregate.h"
#include "cohort/errors.h"
#include "codec/parallel_jobs.h"
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
  for (const AggregateTensor& t : a.tensors) {
    if (t.indices.size() != t.values.size()) {
      throw InvalidArgumentError(expected_message("one value per index", "aggregate tensor " + t.entry.name,
                                                  std::to_string(t.values.size())));
    }
  }
  // Each tensor's Rice stream on the job threads (it depends on that tensor alone), then one assembly.
  std::vector<std::vector<uint8_t>> index_bytes(a.tensors.size());
  std::vector<uint8_t> rice(a.tensors.size());
  std::vector<int64_t> sizes;
  for (const AggregateTensor& t : a.tensors) sizes.push_back(static_cast<int64_t>(t.indices.size()));
  detail::run_jobs(sizes, 0, [&](size_t i) { rice[i] = detail::write_rice_flat(a.tensors[i].indices, index_bytes[i]); });
  size_t body = 0;
  for (size_t i = 0; i < a.tensors.size(); ++i) body += 12 + 4 * a.tensors[i].values.size() + index_bytes[i].size();
  out.reserve(out.size() + body + kTrailerBytes);
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const AggregateTensor& t = a.tensors[i];
    detail::put_le(out, t.indices.size(), 4);
    detail::put_u8(out, rice[i]);
    detail::put_le(out, 0, 3);
    detail::put_le(out, index_bytes[i].size(), 4);
    detail::put_f32_array(out, t.values.data(), t.values.size());
    detail::put_bytes(out, index_bytes[i].data(), index_bytes[i].size());
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
  // Pass 1, in order: each tensor's fixed fields and where its values and index stream lie. A structural
  // error is held, not thrown, until the tensors before it have been decoded, so the error reported is
  // the one a tensor-by-tensor reader would meet first.
  struct Span {
    uint64_t n = 0;
    uint8_t rice = 0;
    uint64_t numel = 0;
    const uint8_t* values = nullptr;
    const uint8_t* indices = nullptr;
    uint64_t index_len = 0;
  };
  std::vector<Span> spans;
  std::exception_ptr structural;
  try {
    for (const TensorEntry& entry : table) {
      const std::string& name = entry.name;  // table entries move into the tensors only in pass 2
      Span sp;
      sp.numel = 1;
      for (int64_t d : entry.shape) {
        sp.numel *= static_cast<uint64_t>(d);
      }
      sp.n = cur.le(4, "aggregate count");
      sp.rice = static_cast<uint8_t>(cur.le(1, "Rice parameter"));
      if (cur.le(3, "reserved") != 0) {
        throw CodecError(Reason::kBadFlags, name + ": reserved tensor bytes set");
      }
      sp.index_len = cur.le(4, "index length");
      if (sp.n > sp.numel) {
        throw CodecError(Reason::kSizeMismatch,
                         name + ": " + std::to_string(sp.n) + " entries in " + std::to_string(sp.numel));
      }
      if (sp.n * 4 > cur.remaining() || sp.index_len > cur.remaining() - sp.n * 4) {
        throw CodecError(Reason::kTruncated, name + ": " + std::to_string(sp.n) + " values and " +
                                                 std::to_string(sp.index_len) + " index bytes, " +
                                                 std::to_string(cur.remaining()) + " left");
      }
      sp.values = cur.take(sp.n * 4, "values");
      sp.indices = cur.take(sp.index_len, "indices");
      spans.push_back(sp);
    }
    if (cur.remaining() != 0) {
      throw CodecError(Reason::kSizeMismatch, std::to_string(cur.remaining()) + " body bytes after the last tensor");
    }
  } catch (const CodecError&) {
    structural = std::current_exception();
  }
  // Pass 2, tensor by tensor on the job threads (each reads only its own bytes): values, then indices.
  std::vector<AggregateTensor> tensors(spans.size());
  std::vector<int64_t> sizes;
  for (const Span& sp : spans) sizes.push_back(static_cast<int64_t>(sp.n));
  detail::run_jobs(sizes, 0, [&](size_t i) {
    const Span& sp = spans[i];
    AggregateTensor& t = tensors[i];
    t.entry = std::move(table[i]);
    t.values.resize(sp.n);
    for (uint64_t j = 0; j < sp.n; ++j) {
      const float v = detail::f32_at(sp.values + 4 * j);
      if (!std::isfinite(v) || std::fabs(v) > limits.max_abs_value) {
        throw CodecError(Reason::kBadValue, t.entry.name + ": value " + std::to_string(v));
      }
      t.values[j] = v;
    }
    t.indices.resize(sp.n);
    detail::read_rice_flat(sp.indices, sp.index_len, sp.rice, sp.numel, t.entry.name, t.indices);
  });
  if (structural) std::rethrow_exception(structural);
  a.tensors = std::move(tensors);
  return a;
}

}  // namespace cohort::codec
