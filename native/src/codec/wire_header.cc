// The fixed header, tensor table and trailer shared by updates and aggregates (docs/wire-format.md §4).
#include <algorithm>
#include <set>

#include "cohort/blake2b.h"
#include "cohort/errors.h"
#include "codec/wire_common.h"

namespace cohort::codec {

std::vector<uint8_t> encode_tensor_table(const std::vector<TensorEntry>& table) {
  std::vector<uint8_t> out;
  detail::put_le(out, table.size(), 4);
  for (const TensorEntry& t : table) {
    if (t.name.empty() || t.name.size() > kMaxTensorNameBytes) {
      throw InvalidArgumentError(expected_message("a tensor name of 1 to 256 bytes", "tensor table", t.name));
    }
    if (t.shape.empty() || t.shape.size() > 2) {
      throw InvalidArgumentError(expected_message("rank 1 or 2", "tensor " + t.name, std::to_string(t.shape.size())));
    }
    detail::put_le(out, t.name.size(), 2);
    detail::put_bytes(out, reinterpret_cast<const uint8_t*>(t.name.data()), t.name.size());
    detail::put_u8(out, static_cast<uint8_t>(t.dtype));
    detail::put_u8(out, static_cast<uint8_t>(t.shape.size()));
    for (int64_t d : t.shape) {
      if (d < 1 || d > 0xFFFFFFFFLL) {
        throw InvalidArgumentError(expected_message("dimensions in [1, 2^32)", "tensor " + t.name, std::to_string(d)));
      }
      detail::put_le(out, static_cast<uint64_t>(d), 4);
    }
  }
  return out;
}

Bytes32 model_fingerprint(const std::vector<TensorEntry>& table) {
  const std::vector<uint8_t> bytes = encode_tensor_table(table);
  return blake2b256(bytes.data(), bytes.size());
}

Bytes32 object_digest(const std::vector<uint8_t>& object) {
  if (object.size() < kFixedHeaderBytes + kTrailerBytes) {
    throw InvalidArgumentError(expected_message("a complete cohort object", "object", std::to_string(object.size()) + " bytes"));
  }
  Bytes32 d{};
  std::copy_n(object.end() - static_cast<std::ptrdiff_t>(kTrailerBytes), kHashBytes, d.begin());
  return d;
}

void set_signature(std::vector<uint8_t>& object, const std::array<uint8_t, kSignatureBytes>& signature) {
  if (object.size() < kFixedHeaderBytes + kTrailerBytes) {
    throw InvalidArgumentError(expected_message("a complete cohort object", "object", std::to_string(object.size()) + " bytes"));
  }
  std::copy(signature.begin(), signature.end(), object.end() - static_cast<std::ptrdiff_t>(kSignatureBytes));
}

namespace detail {
namespace {

bool run_id_char(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

void check_run_id(const std::string& run_id) {
  if (run_id.empty() || run_id.size() > kMaxRunIdBytes ||
      !std::all_of(run_id.begin(), run_id.end(), [](char c) { return run_id_char(static_cast<uint8_t>(c)); })) {
    throw InvalidArgumentError(expected_message("a run id of 1 to 32 characters [a-z0-9._-]", "run id", run_id));
  }
}

}  // namespace

void write_fixed_header(std::vector<uint8_t>& out, ObjectKind kind, const ObjectHeader& h, uint8_t value_bits,
                        const Bytes32& model_fp, uint8_t version) {
  check_run_id(h.run_id);
  if (h.codec.tile_side < 1 || h.codec.tile_side > kMaxTileSide || h.codec.topk < 1 ||
      h.codec.topk > kMaxTileSide * kMaxTileSide) {
    throw InvalidArgumentError(expected_message("tile side in [1, 64] and top-k in [1, 4096]", "codec parameters",
                                                std::to_string(h.codec.tile_side) + "/" + std::to_string(h.codec.topk)));
  }
  put_bytes(out, kMagic, 4);
  put_u8(out, static_cast<uint8_t>(kind));
  put_u8(out, version);
  put_le(out, 0, 2);  // flags
  put_u8(out, static_cast<uint8_t>(h.codec.tile_side));
  put_u8(out, value_bits);
  put_u8(out, static_cast<uint8_t>(h.codec.index_coding));
  put_u8(out, 0);
  put_le(out, static_cast<uint64_t>(h.codec.topk), 2);
  put_le(out, 0, 2);
  put_le(out, h.window, 8);
  std::array<uint8_t, kMaxRunIdBytes> run{};
  std::copy(h.run_id.begin(), h.run_id.end(), run.begin());
  put_bytes(out, run.data(), run.size());
  put_bytes(out, h.hotkey.data(), 32);
  put_bytes(out, model_fp.data(), 32);
  put_bytes(out, h.state_fingerprint.data(), 32);
  put_bytes(out, h.data_receipt.data(), 32);
  put_le(out, 0, 8);  // total length, patched by finish_object
}

void finish_object(std::vector<uint8_t>& out) {
  const uint64_t total = out.size() + kTrailerBytes;
  for (int i = 0; i < 8; ++i) {
    out[kOffTotalBytes + static_cast<size_t>(i)] = static_cast<uint8_t>(total >> (8 * i));
  }
  const Bytes32 hash = blake2b256(out.data(), out.size());
  put_bytes(out, hash.data(), hash.size());
  out.resize(out.size() + kSignatureBytes, 0);
}

ObjectHeader read_fixed_header(const uint8_t* data, size_t size, ObjectKind kind, uint8_t value_bits,
                               const DecodeLimits& limits, const Expectations& expect, Bytes32* model_fp,
                               Bytes32* digest) {
  if (size < 5 || !std::equal(kMagic, kMagic + 4, data) || data[kOffKind] != static_cast<uint8_t>(kind)) {
    throw CodecError(Reason::kBadMagic, std::string("not a cohort ") + (kind == ObjectKind::kUpdate ? "update" : "aggregate"));
  }
  if (size < kFixedHeaderBytes + kTrailerBytes) {
    throw CodecError(Reason::kTruncated, std::to_string(size) + " bytes is shorter than header and trailer");
  }
  const bool aggregate = kind == ObjectKind::kAggregate;
  if (data[kOffVersion] != kFormatVersion && !(aggregate && data[kOffVersion] == kAggregateFormatVersion)) {
    throw CodecError(Reason::kUnsupportedVersion, "format version " + std::to_string(data[kOffVersion]) +
                                                      (aggregate ? ", this build reads 1 and 2" : ", this build reads 1"));
  }
  if (get_le(data + kOffFlags, 2) != 0 || data[kOffIndexCoding + 1] != 0 || get_le(data + kOffTopk + 2, 2) != 0) {
    throw CodecError(Reason::kBadFlags, "reserved header bits set");
  }
  const uint64_t declared = get_le(data + kOffTotalBytes, 8);
  if (declared > limits.max_bytes || size > limits.max_bytes) {
    throw CodecError(Reason::kTooLarge, std::to_string(std::max<uint64_t>(declared, size)) + " bytes exceeds the cap of " +
                                            std::to_string(limits.max_bytes));
  }
  if (size < declared) {
    throw CodecError(Reason::kTruncated, std::to_string(size) + " of " + std::to_string(declared) + " declared bytes");
  }
  if (size > declared) {
    throw CodecError(Reason::kTrailingBytes, std::to_string(size - declared) + " bytes after the declared end");
  }
  ObjectHeader h;
  h.codec.tile_side = data[kOffTile];
  h.codec.topk = static_cast<int>(get_le(data + kOffTopk, 2));
  const uint8_t coding = data[kOffIndexCoding];
  if (h.codec.tile_side < 1 || h.codec.tile_side > kMaxTileSide || h.codec.topk < 1 ||
      h.codec.topk > kMaxTileSide * kMaxTileSide || data[kOffValueBits] != value_bits || coding > 1 ||
      (kind == ObjectKind::kAggregate && coding != static_cast<uint8_t>(IndexCoding::kRice))) {
    throw CodecError(Reason::kBadCodecParams, "tile " + std::to_string(h.codec.tile_side) + ", top-k " +
                                                  std::to_string(h.codec.topk) + ", value bits " +
                                                  std::to_string(data[kOffValueBits]) + ", index coding " +
                                                  std::to_string(coding));
  }
  h.codec.index_coding = static_cast<IndexCoding>(coding);
  h.window = get_le(data + kOffWindow, 8);
  size_t len = 0;
  while (len < kMaxRunIdBytes && data[kOffRunId + len] != 0) {
    if (!run_id_char(data[kOffRunId + len])) {
      throw CodecError(Reason::kBadRunId, "byte " + std::to_string(data[kOffRunId + len]) + " in the run id");
    }
    ++len;
  }
  for (size_t i = len; i < kMaxRunIdBytes; ++i) {
    if (data[kOffRunId + i] != 0) {
      throw CodecError(Reason::kBadRunId, "run id padding is not zero");
    }
  }
  if (len == 0) {
    throw CodecError(Reason::kBadRunId, "empty run id");
  }
  h.run_id.assign(reinterpret_cast<const char*>(data + kOffRunId), len);
  std::copy_n(data + kOffHotkey, 32, h.hotkey.begin());
  std::copy_n(data + kOffModel, 32, model_fp->begin());
  std::copy_n(data + kOffState, 32, h.state_fingerprint.begin());
  std::copy_n(data + kOffReceipt, 32, h.data_receipt.begin());
  if (expect.run_id && *expect.run_id != h.run_id) {
    throw CodecError(Reason::kWrongRun, "run " + h.run_id + ", expected " + *expect.run_id);
  }
  if (expect.window && *expect.window != h.window) {
    throw CodecError(Reason::kWrongWindow, "window " + std::to_string(h.window) + ", expected " + std::to_string(*expect.window));
  }
  if (expect.hotkey && *expect.hotkey != h.hotkey) {
    throw CodecError(Reason::kWrongHotkey, "signed by " + to_hex(h.hotkey.data(), 32));
  }
  const Bytes32 hash = blake2b256(data, size - kTrailerBytes);
  if (!std::equal(hash.begin(), hash.end(), data + size - kTrailerBytes)) {
    throw CodecError(Reason::kBadHash, "BLAKE2b-256 of the content is " + to_hex(hash));
  }
  *digest = hash;
  return h;
}

std::vector<TensorEntry> read_tensor_table(Cursor& cur, const DecodeLimits& limits, const Bytes32& header_model_fp,
                                           const Expectations& expect) {
  const size_t start = cur.pos();
  const uint64_t count = cur.le(4, "tensor count");
  if (count == 0) {
    throw CodecError(Reason::kBadTensorTable, "no tensors");
  }
  if (count > limits.max_tensors) {
    throw CodecError(Reason::kTooManyTensors, std::to_string(count) + " tensors, cap " + std::to_string(limits.max_tensors));
  }
  std::vector<TensorEntry> table;
  std::set<std::string> names;
  uint64_t elements = 0;
  for (uint64_t i = 0; i < count; ++i) {
    TensorEntry t;
    const uint64_t name_len = cur.le(2, "tensor name length");
    if (name_len == 0 || name_len > kMaxTensorNameBytes) {
      throw CodecError(Reason::kBadTensorTable, "tensor " + std::to_string(i) + " name length " + std::to_string(name_len));
    }
    const uint8_t* name = cur.take(name_len, "tensor name");
    for (uint64_t j = 0; j < name_len; ++j) {
      if (name[j] < 0x21 || name[j] > 0x7E) {
        throw CodecError(Reason::kBadTensorTable, "tensor " + std::to_string(i) + " name has byte " + std::to_string(name[j]));
      }
    }
    t.name.assign(reinterpret_cast<const char*>(name), name_len);
    const uint64_t dtype = cur.le(1, "tensor dtype");
    const uint64_t rank = cur.le(1, "tensor rank");
    if (dtype > 2 || rank < 1 || rank > 2) {
      throw CodecError(Reason::kBadTensorTable, t.name + ": dtype " + std::to_string(dtype) + ", rank " + std::to_string(rank));
    }
    t.dtype = static_cast<DType>(dtype);
    uint64_t numel = 1;
    for (uint64_t d = 0; d < rank; ++d) {
      const uint64_t dim = cur.le(4, "tensor dimension");
      if (dim == 0) {
        throw CodecError(Reason::kBadTensorTable, t.name + ": zero dimension");
      }
      numel *= dim;  // two u32 dims: fits u64
      t.shape.push_back(static_cast<int64_t>(dim));
    }
    if (numel > static_cast<uint64_t>(kMaxTensorElements)) {
      throw CodecError(Reason::kBadTensorTable, t.name + ": " + std::to_string(numel) + " elements, at most 2^32-1");
    }
    elements += numel;
    if (elements > limits.max_elements) {
      throw CodecError(Reason::kTooManyTensors, std::to_string(elements) + " elements, cap " + std::to_string(limits.max_elements));
    }
    if (!names.insert(t.name).second) {
      throw CodecError(Reason::kBadTensorTable, "tensor " + t.name + " twice");
    }
    table.push_back(std::move(t));
  }
  const size_t end = cur.pos();
  const Bytes32 fp = blake2b256(cur.base() + start, end - start);
  if (fp != header_model_fp) {
    throw CodecError(Reason::kWrongModel, "the tensor table hashes to " + to_hex(fp) + ", the header says " +
                                              to_hex(header_model_fp));
  }
  if (expect.model_fingerprint && *expect.model_fingerprint != fp) {
    throw CodecError(Reason::kWrongModel, "model " + to_hex(fp) + ", expected " + to_hex(*expect.model_fingerprint));
  }
  return table;
}

}  // namespace detail
}  // namespace cohort::codec
