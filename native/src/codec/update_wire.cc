// Update objects ('U'): writer and validating reader (docs/wire-format.md §4–§6).
#include <cmath>

#include "cohort/errors.h"
#include "codec/wire_common.h"

namespace cohort::codec {
namespace {

void check_quant(const QuantParams& q, float max_abs, const std::string& name) {
  bool ok = std::isfinite(q.shift) && std::fabs(q.shift) <= max_abs;
  for (float v : q.lookup) {
    ok = ok && std::isfinite(v) && std::fabs(v) <= max_abs;
  }
  if (!ok) {
    throw CodecError(Reason::kBadQuantParams, name + ": shift or codebook is non-finite or above " + std::to_string(max_abs));
  }
}

}  // namespace

std::vector<uint8_t> write_update(const ObjectHeader& header, const std::vector<TensorEntry>& table,
                                  const std::vector<EncodedTensor>& tensors) {
  if (tensors.size() != table.size() || table.empty()) {
    throw InvalidArgumentError(expected_message("one encoded tensor per table entry", "update",
                                                std::to_string(tensors.size()) + " for " + std::to_string(table.size())));
  }
  const std::vector<uint8_t> table_bytes = encode_tensor_table(table);
  std::vector<uint8_t> out;
  detail::write_fixed_header(out, ObjectKind::kUpdate, header, 2, blake2b256(table_bytes.data(), table_bytes.size()));
  detail::put_bytes(out, table_bytes.data(), table_bytes.size());
  std::vector<uint8_t> index_bytes;
  for (size_t i = 0; i < table.size(); ++i) {
    const ChunkPlan plan(table[i].shape, header.codec.tile_side, header.codec.topk);
    const EncodedTensor& t = tensors[i];
    const auto n = static_cast<size_t>(plan.total_kept());
    if (t.indices.size() != n || t.codes.size() != n) {
      throw InvalidArgumentError(expected_message(std::to_string(n) + " kept entries", "tensor " + table[i].name,
                                                  std::to_string(t.indices.size())));
    }
    index_bytes.clear();
    uint8_t rice = 0;
    if (header.codec.index_coding == IndexCoding::kPacked12) {
      index_bytes = detail::write_packed12(t.indices);
    } else {
      rice = detail::write_rice_chunks(t.indices, plan, index_bytes);
    }
    detail::put_f32(out, t.quant.shift);
    for (float v : t.quant.lookup) {
      detail::put_f32(out, v);
    }
    detail::put_u8(out, rice);
    detail::put_le(out, 0, 3);
    detail::put_le(out, index_bytes.size(), 4);
    const size_t codes_at = out.size();
    out.resize(codes_at + (n + 3) / 4, 0);
    for (size_t j = 0; j < n; ++j) {
      if (t.codes[j] > 3) {
        throw InvalidArgumentError(expected_message("2-bit codes", "tensor " + table[i].name, std::to_string(t.codes[j])));
      }
      out[codes_at + j / 4] = static_cast<uint8_t>(out[codes_at + j / 4] | (t.codes[j] << (2 * (j % 4))));
    }
    detail::put_bytes(out, index_bytes.data(), index_bytes.size());
  }
  detail::finish_object(out);
  return out;
}

DecodedUpdate decode_update(const uint8_t* data, size_t size, const DecodeLimits& limits, const Expectations& expect) {
  DecodedUpdate u;
  u.header = detail::read_fixed_header(data, size, ObjectKind::kUpdate, 2, limits, expect, &u.model_fingerprint, &u.digest);
  std::copy_n(data + size - kSignatureBytes, kSignatureBytes, u.signature.begin());
  detail::Cursor cur(data, size - kTrailerBytes, kFixedHeaderBytes);
  std::vector<TensorEntry> table = detail::read_tensor_table(cur, limits, u.model_fingerprint, expect);
  u.tensors.reserve(table.size());
  for (TensorEntry& entry : table) {
    const ChunkPlan plan(entry.shape, u.header.codec.tile_side, u.header.codec.topk);
    const auto n = static_cast<size_t>(plan.total_kept());
    DecodedTensor t;
    t.entry = std::move(entry);
    const std::string& name = t.entry.name;
    t.data.quant.shift = cur.f32("quantization shift");
    for (float& v : t.data.quant.lookup) {
      v = cur.f32("codebook");
    }
    const auto rice = static_cast<uint8_t>(cur.le(1, "Rice parameter"));
    if (cur.le(3, "reserved") != 0) {
      throw CodecError(Reason::kBadFlags, name + ": reserved tensor bytes set");
    }
    const uint64_t index_len = cur.le(4, "index length");
    check_quant(t.data.quant, limits.max_abs_value, name);
    const size_t code_len = (n + 3) / 4;
    // Sizes are checked against what is left before anything is allocated.
    if (code_len > cur.remaining() || index_len > cur.remaining() - code_len) {
      throw CodecError(Reason::kTruncated, name + ": " + std::to_string(code_len) + " code bytes and " +
                                               std::to_string(index_len) + " index bytes, " +
                                               std::to_string(cur.remaining()) + " left");
    }
    const uint8_t* codes = cur.take(code_len, "codes");
    if (n % 4 != 0 && (codes[code_len - 1] >> (2 * (n % 4))) != 0) {
      throw CodecError(Reason::kBadPadding, name + ": code padding bits are not zero");
    }
    t.data.codes.resize(n);
    for (size_t j = 0; j < n; ++j) {
      t.data.codes[j] = static_cast<uint8_t>((codes[j / 4] >> (2 * (j % 4))) & 3);
    }
    const uint8_t* idx = cur.take(index_len, "indices");
    if (u.header.codec.index_coding == IndexCoding::kPacked12) {
      if (rice != 0) {
        throw CodecError(Reason::kBadFlags, name + ": Rice parameter set on packed12 indices");
      }
      detail::read_packed12(idx, index_len, plan, name, t.data.indices);
    } else {
      detail::read_rice_chunks(idx, index_len, rice, plan, name, t.data.indices);
    }
    u.kept_values += n;
    u.tensors.push_back(std::move(t));
  }
  if (cur.remaining() != 0) {
    throw CodecError(Reason::kSizeMismatch, std::to_string(cur.remaining()) + " body bytes after the last tensor");
  }
  return u;
}

}  // namespace cohort::codec
