// Aggregate objects ('A'): writer and validating reader (docs/wire-format.md §7).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <set>

#include "cohort/codec/aggregate.h"
#include "cohort/errors.h"
#include "codec/parallel_jobs.h"
#include "codec/value_palette.h"
#include "codec/wire_common.h"

namespace cohort::codec {

constexpr uint64_t kMaxContributors = 65535;

namespace {

// How a tensor's values are written (the byte after its Rice parameter; version 1 has only raw).
enum class ValueCoding : uint8_t { kRaw = 0, kPalette = 1 };

// One tensor's encoded sections.
struct TensorSection {
  uint8_t rice = 0;
  ValueCoding coding = ValueCoding::kRaw;
  uint8_t golomb = 0;
  std::vector<uint8_t> values;  // palette: the whole palette section (raw values are copied at assembly)
  std::vector<uint8_t> indices;
};

// The canonical value section: a palette when that is strictly smaller than raw fp32 (version 2).
TensorSection section_of(const AggregateTensor& t, bool palettes) {
  TensorSection sec;
  sec.rice = detail::write_rice_flat(t.indices, sec.indices);
  const size_t n = t.values.size();
  if (palettes && n > 0) {
    std::vector<uint32_t> ranks;
    const detail::PaletteChoice c = detail::choose_palette(t.values.data(), n, &ranks);
    if (c.pays) {
      sec.coding = ValueCoding::kPalette;
      sec.golomb = c.order;
      detail::put_le(sec.values, c.palette.bits.size(), 4);
      for (uint32_t b : c.palette.bits) detail::put_le(sec.values, b, 4);
      std::vector<uint8_t> stream;
      detail::write_golomb_ranks(ranks, c.order, stream);
      detail::put_le(sec.values, stream.size(), 4);
      detail::put_bytes(sec.values, stream.data(), stream.size());
    }
  }
  return sec;
}

// Where one tensor's sections lie (pass 1 of the reader).
struct Span {
  uint64_t n = 0;
  uint8_t rice = 0;
  ValueCoding coding = ValueCoding::kRaw;
  uint8_t golomb = 0;
  uint64_t numel = 0;
  uint64_t unique = 0;               // palette entries
  const uint8_t* values = nullptr;   // raw values, or the palette
  const uint8_t* stream = nullptr;   // palette: the rank stream
  uint64_t stream_len = 0;
  const uint8_t* indices = nullptr;
  uint64_t index_len = 0;
};

Span read_span(detail::Cursor& cur, const TensorEntry& entry, bool palettes) {
  const std::string& name = entry.name;
  Span sp;
  sp.numel = 1;
  for (int64_t d : entry.shape) sp.numel *= static_cast<uint64_t>(d);
  sp.n = cur.le(4, "aggregate count");
  sp.rice = static_cast<uint8_t>(cur.le(1, "Rice parameter"));
  const auto coding = static_cast<uint8_t>(cur.le(1, "value coding"));
  sp.golomb = static_cast<uint8_t>(cur.le(1, "exp-Golomb order"));
  const uint64_t reserved = cur.le(1, "reserved");
  if (reserved != 0 || (!palettes && (coding != 0 || sp.golomb != 0))) {
    throw CodecError(Reason::kBadFlags, name + ": reserved tensor bytes set");
  }
  if (coding > 1 || sp.golomb > detail::kMaxGolombOrder || (coding == 0 && sp.golomb != 0)) {
    throw CodecError(Reason::kBadCodecParams, name + ": value coding " + std::to_string(coding) + ", exp-Golomb order " +
                                                  std::to_string(sp.golomb));
  }
  sp.coding = static_cast<ValueCoding>(coding);
  sp.index_len = cur.le(4, "index length");
  if (sp.n > sp.numel) {
    throw CodecError(Reason::kSizeMismatch, name + ": " + std::to_string(sp.n) + " entries in " + std::to_string(sp.numel));
  }
  if (sp.coding == ValueCoding::kRaw) {
    if (sp.n * 4 > cur.remaining()) {
      throw CodecError(Reason::kTruncated, name + ": " + std::to_string(sp.n) + " values, " +
                                               std::to_string(cur.remaining()) + " bytes left");
    }
    sp.values = cur.take(sp.n * 4, "values");
  } else {
    sp.unique = cur.le(4, "palette size");
    if (sp.unique == 0 || sp.unique > sp.n) {
      throw CodecError(Reason::kSizeMismatch, name + ": a palette of " + std::to_string(sp.unique) + " values for " +
                                                  std::to_string(sp.n) + " entries");
    }
    if (sp.unique * 4 > cur.remaining()) {
      throw CodecError(Reason::kTruncated, name + ": a palette of " + std::to_string(sp.unique) + " values, " +
                                               std::to_string(cur.remaining()) + " bytes left");
    }
    sp.values = cur.take(sp.unique * 4, "palette");
    sp.stream_len = cur.le(4, "value rank stream length");
    sp.stream = cur.take(sp.stream_len, "value rank stream");
    // Every rank and every Rice index code takes at least one bit: bounds what the entries may allocate.
    if (sp.n > 8 * sp.stream_len) {
      throw CodecError(Reason::kTruncated, name + ": " + std::to_string(sp.n) + " value ranks in " +
                                               std::to_string(sp.stream_len) + " bytes");
    }
  }
  if (sp.index_len > cur.remaining()) {
    throw CodecError(Reason::kTruncated, name + ": " + std::to_string(sp.index_len) + " index bytes, " +
                                             std::to_string(cur.remaining()) + " left");
  }
  sp.indices = cur.take(sp.index_len, "indices");
  if (sp.coding == ValueCoding::kPalette && sp.n > 8 * sp.index_len) {
    throw CodecError(Reason::kTruncated, name + ": " + std::to_string(sp.n) + " indices in " +
                                             std::to_string(sp.index_len) + " bytes");
  }
  return sp;
}

float checked_value(const uint8_t* p, const std::string& name, const DecodeLimits& limits) {
  const float v = detail::f32_at(p);
  if (!std::isfinite(v) || std::fabs(v) > limits.max_abs_value) {
    throw CodecError(Reason::kBadValue, name + ": value " + std::to_string(v));
  }
  return v;
}

// The canonical-encoding rules of a palette section (BAD_PADDING when one is broken): every entry used,
// count descending then bits ascending, no value twice, the shortest exp-Golomb order, and smaller than
// raw fp32 would be.
void check_palette(const Span& sp, const std::vector<float>& palette, const std::vector<uint64_t>& counts,
                   const std::string& name) {
  std::vector<uint32_t> bits(palette.size());
  std::memcpy(bits.data(), palette.data(), 4 * palette.size());
  for (size_t r = 0; r < counts.size(); ++r) {
    if (counts[r] == 0) throw CodecError(Reason::kBadPadding, name + ": palette entry " + std::to_string(r) + " is unused");
    if (r > 0 && !(counts[r - 1] > counts[r] || (counts[r - 1] == counts[r] && bits[r - 1] < bits[r]))) {
      throw CodecError(Reason::kBadPadding, name + ": palette entry " + std::to_string(r) + " out of canonical order");
    }
  }
  std::sort(bits.begin(), bits.end());
  if (std::adjacent_find(bits.begin(), bits.end()) != bits.end()) {
    throw CodecError(Reason::kBadPadding, name + ": a value twice in the palette");
  }
  uint64_t stream_bits = 0;
  const uint8_t best = detail::best_golomb_order(counts, &stream_bits);
  if (sp.golomb != best) {
    throw CodecError(Reason::kBadPadding, name + ": exp-Golomb order " + std::to_string(sp.golomb) +
                                              " where the canonical encoding uses " + std::to_string(best));
  }
  if (!detail::palette_pays(sp.unique, stream_bits, sp.n)) {
    throw CodecError(Reason::kBadPadding, name + ": a palette where raw values are no larger");
  }
}

// One tensor's values, checked (finite, within the cap) and, in version 2, canonically coded.
void read_values(const Span& sp, const std::string& name, const DecodeLimits& limits, bool palettes,
                 std::vector<float>& values) {
  values.resize(sp.n);
  if (sp.coding == ValueCoding::kRaw) {
    for (uint64_t j = 0; j < sp.n; ++j) values[j] = checked_value(sp.values + 4 * j, name, limits);
    if (palettes && sp.n > 0 && detail::choose_palette(values.data(), sp.n, nullptr).pays) {
      throw CodecError(Reason::kBadPadding, name + ": raw values where a palette is smaller");
    }
    return;
  }
  std::vector<float> palette(sp.unique);
  for (uint64_t r = 0; r < sp.unique; ++r) palette[r] = checked_value(sp.values + 4 * r, name, limits);
  std::vector<uint64_t> counts;
  detail::read_golomb_values(sp.stream, sp.stream_len, sp.golomb, palette, static_cast<uint32_t>(sp.n), name,
                             values.data(), counts);
  check_palette(sp, palette, counts, name);
}

}  // namespace

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
  if (a.format_version != 1 && a.format_version != kAggregateFormatVersion) {
    throw InvalidArgumentError(expected_message("format version 1 or 2", "aggregate", std::to_string(a.format_version)));
  }
  detail::write_fixed_header(out, ObjectKind::kAggregate, h, 32, blake2b256(table_bytes.data(), table_bytes.size()),
                             a.format_version);
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
  // Each tensor's index stream and value section on the job threads (they depend on that tensor alone),
  // then one assembly.
  const bool palettes = a.format_version >= 2;
  std::vector<TensorSection> sections(a.tensors.size());
  std::vector<int64_t> sizes;
  for (const AggregateTensor& t : a.tensors) sizes.push_back(static_cast<int64_t>(t.indices.size()));
  detail::run_jobs(sizes, 0, [&](size_t i) { sections[i] = section_of(a.tensors[i], palettes); });
  size_t body = 0;
  for (size_t i = 0; i < sections.size(); ++i) {
    const TensorSection& sec = sections[i];
    body += 12 + (sec.coding == ValueCoding::kRaw ? 4 * a.tensors[i].values.size() : sec.values.size()) + sec.indices.size();
  }
  out.reserve(out.size() + body + kTrailerBytes);
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const TensorSection& sec = sections[i];
    detail::put_le(out, a.tensors[i].indices.size(), 4);
    detail::put_u8(out, sec.rice);
    detail::put_u8(out, static_cast<uint8_t>(sec.coding));
    detail::put_u8(out, sec.golomb);
    detail::put_u8(out, 0);
    detail::put_le(out, sec.indices.size(), 4);
    if (sec.coding == ValueCoding::kRaw) {
      detail::put_f32_array(out, a.tensors[i].values.data(), a.tensors[i].values.size());
    } else {
      detail::put_bytes(out, sec.values.data(), sec.values.size());
    }
    detail::put_bytes(out, sec.indices.data(), sec.indices.size());
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
  // Pass 1, in order: each tensor's fixed fields and where its sections lie. A structural error is held,
  // not thrown, until the tensors before it have been decoded, so the error reported is the one a
  // tensor-by-tensor reader would meet first.
  a.format_version = data[detail::kOffVersion];
  const bool palettes = a.format_version >= 2;
  std::vector<Span> spans;
  std::exception_ptr structural;
  try {
    for (const TensorEntry& entry : table) spans.push_back(read_span(cur, entry, palettes));
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
    read_values(sp, t.entry.name, limits, palettes, t.values);
    t.indices.resize(sp.n);
    detail::read_rice_flat(sp.indices, sp.index_len, sp.rice, sp.numel, t.entry.name, t.indices);
  });
  if (structural) std::rethrow_exception(structural);
  a.tensors = std::move(tensors);
  return a;
}

}  // namespace cohort::codec
