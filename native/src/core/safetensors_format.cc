// safetensors header parsing, validation and writing (see core/safetensors_format.h). Validation follows
// the reference reader (safetensors/src/tensor.rs): entries sorted by offsets must tile the data buffer
// from 0 to the end of the file, each exactly numel × element size bytes, with no arithmetic overflow.
#include "core/safetensors_format.h"

#include <algorithm>
#include <limits>
#include <string>

#include "cohort/errors.h"
#include "core/json_fields.h"
#include "core/json_lite.h"

namespace cohort::safetensors_format {
namespace {

// In the reference's enum order (increasing alignment).
const Dtype kDtypes[] = {
    {"BOOL", 1, 0, std::nullopt},    {"U8", 1, 1, at::kByte},        {"I8", 1, 2, at::kChar},
    {"F8_E5M2", 1, 3, std::nullopt}, {"F8_E4M3", 1, 4, std::nullopt}, {"I16", 2, 5, at::kShort},
    {"U16", 2, 6, std::nullopt},     {"F16", 2, 7, at::kHalf},       {"BF16", 2, 8, at::kBFloat16},
    {"I32", 4, 9, at::kInt},         {"U32", 4, 10, std::nullopt},   {"F32", 4, 11, at::kFloat},
    {"F64", 8, 12, at::kDouble},     {"I64", 8, 13, at::kLong},      {"U64", 8, 14, std::nullopt},
};

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out.append(i > 0 ? ", " : "").append(std::to_string(shape[i]));
  return out + "]";
}

std::string offsets_text(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

// numel × element size, or a thrown error when the shape overflows. Dims are also bounded so that every
// stride libtorch derives fits int64 (the product of the non-zero dims does).
uint64_t byte_size(const std::vector<int64_t>& shape, size_t element_size, const std::string& what) {
  uint64_t numel = 1;
  uint64_t stride_span = 1;
  bool overflow = false;
  for (const int64_t dim : shape) {
    const auto d = static_cast<uint64_t>(dim);
    overflow |= __builtin_mul_overflow(numel, d, &numel);
    overflow |= __builtin_mul_overflow(stride_span, std::max<uint64_t>(d, 1), &stride_span);
  }
  uint64_t bytes = 0;
  overflow |= __builtin_mul_overflow(numel, element_size, &bytes);
  if (overflow || stride_span > static_cast<uint64_t>(kInt64Max) || bytes > static_cast<uint64_t>(kInt64Max)) {
    throw InvalidArgumentError(expected_message("a shape whose size fits 63 bits", what, shape_text(shape)));
  }
  return bytes;
}

SafetensorsEntry parse_entry(const json::Value& value, const std::string& name, const std::string& path) {
  const json::ObjectReader entry(value, "tensor \"" + name + "\"", path);
  SafetensorsEntry out;
  out.name = name;
  out.dtype = entry.string("dtype");
  const Dtype* dtype = find_dtype(out.dtype);
  if (dtype == nullptr) {
    throw InvalidArgumentError(expected_message("a safetensors dtype (F32, BF16, F16, ...)", entry.field("dtype"),
                                                json::describe(entry.required("dtype"))));
  }
  const json::Value& shape = entry.array("shape");
  for (size_t i = 0; i < shape.size(); ++i) {
    out.shape.push_back(json::checked_integer(shape.at(i), 0, kInt64Max, entry.field("shape")));
  }
  const json::Value& offsets = entry.array("data_offsets");
  if (offsets.size() != 2) {
    throw InvalidArgumentError(expected_message("[begin, end]", entry.field("data_offsets"),
                                                "an array of " + std::to_string(offsets.size()) + " elements"));
  }
  out.begin = static_cast<uint64_t>(json::checked_integer(offsets.at(0), 0, kInt64Max, entry.field("data_offsets")));
  out.end = static_cast<uint64_t>(json::checked_integer(offsets.at(1), 0, kInt64Max, entry.field("data_offsets")));
  const uint64_t bytes = byte_size(out.shape, dtype->size, entry.field("shape"));
  if (out.end < out.begin || out.end - out.begin != bytes) {
    throw InvalidArgumentError(expected_message(
        std::to_string(bytes) + " bytes (" + out.dtype + " " + shape_text(out.shape) + ")", entry.field("data_offsets"),
        offsets_text(out.begin, out.end)));
  }
  return out;
}

SafetensorsMetadata parse_metadata(const json::Value& value, const std::string& path) {
  const json::ObjectReader reader(value, "__metadata__", path);
  SafetensorsMetadata metadata;
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value.at(i).is(json::Type::kString)) {
      throw InvalidArgumentError(expected_message("a string", reader.field(value.key(i)), json::describe(value.at(i))));
    }
    metadata.emplace(value.key(i), value.at(i).as_string());
  }
  return metadata;
}

// Sorted by offsets, the entries must cover [0, buffer_size) exactly, one after another.
void check_tiling(const std::vector<SafetensorsEntry>& entries, uint64_t buffer_size, const std::string& path) {
  uint64_t expected_begin = 0;
  for (const SafetensorsEntry& entry : entries) {
    if (entry.begin != expected_begin) {
      throw InvalidArgumentError(
          path + ": " +
          expected_message("data_offsets starting at " + std::to_string(expected_begin) +
                               " (tensors must tile the data buffer without gap or overlap)",
                           "tensor \"" + entry.name + "\"", offsets_text(entry.begin, entry.end)));
    }
    expected_begin = entry.end;
  }
  if (expected_begin != buffer_size) {
    throw InvalidArgumentError(
        path + ": " +
        expected_message("tensors ending at byte " + std::to_string(buffer_size) +
                             " of the data buffer (the end of the file)",
                         "the header", "tensors ending at byte " + std::to_string(expected_begin)));
  }
}

}  // namespace

const Dtype* find_dtype(std::string_view name) {
  for (const Dtype& dtype : kDtypes) {
    if (name == dtype.name) return &dtype;
  }
  return nullptr;
}

const Dtype* dtype_of(at::ScalarType type) {
  for (const Dtype& dtype : kDtypes) {
    if (dtype.scalar_type == type) return &dtype;
  }
  return nullptr;
}

SafetensorsHeader parse_header(std::string_view json_text, uint64_t file_size, const std::string& path) {
  if (json_text.empty() || json_text.front() != '{') {
    throw InvalidArgumentError(path + ": " + expected_message("a JSON object", "the safetensors header",
                                                              "text that does not start with '{'"));
  }
  json::ParseOptions options;
  options.source = path + " (safetensors header)";
  options.max_bytes = kMaxHeaderBytes;
  options.max_depth = 3;  // root → tensor entry → shape
  if (json_text.size() > kMaxHeaderBytes || 8 + json_text.size() > file_size) {
    throw InternalError(path + ": parse_header called with a header that does not fit the file");
  }
  const json::Value root = json::parse(json_text, options);
  SafetensorsHeader header;
  header.file_size = file_size;
  header.data_start = 8 + json_text.size();
  for (size_t i = 0; i < root.size(); ++i) {
    if (root.key(i) == "__metadata__") {
      header.metadata = parse_metadata(root.at(i), path);
    } else {
      header.entries.push_back(parse_entry(root.at(i), root.key(i), path));
    }
  }
  std::stable_sort(header.entries.begin(), header.entries.end(), [](const auto& a, const auto& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  check_tiling(header.entries, file_size - header.data_start, path);
  return header;
}

std::string write_header(const std::vector<WriteEntry>& entries, const SafetensorsMetadata& metadata) {
  std::vector<const WriteEntry*> order;
  for (const WriteEntry& entry : entries) order.push_back(&entry);
  std::stable_sort(order.begin(), order.end(), [](const WriteEntry* a, const WriteEntry* b) {
    if (a->dtype->alignment_rank != b->dtype->alignment_rank) {
      return a->dtype->alignment_rank > b->dtype->alignment_rank;
    }
    return *a->name < *b->name;
  });
  std::string out = "{";
  if (!metadata.empty()) {
    out.append("\"__metadata__\":{");
    bool first = true;
    for (const auto& [key, value] : metadata) {
      if (!first) out.push_back(',');
      first = false;
      json::append_quoted(out, key);
      out.push_back(':');
      json::append_quoted(out, value);
    }
    out.push_back('}');
  }
  for (const WriteEntry* entry : order) {
    if (out.size() > 1) out.push_back(',');
    json::append_quoted(out, *entry->name);
    out.append(":{\"dtype\":\"").append(entry->dtype->name).append("\",\"shape\":[");
    for (size_t i = 0; i < entry->shape.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.append(std::to_string(entry->shape[i]));
    }
    out.append("],\"data_offsets\":[")
        .append(std::to_string(entry->begin))
        .append(",")
        .append(std::to_string(entry->end))
        .append("]}");
  }
  out.push_back('}');
  out.append((8 - out.size() % 8) % 8, ' ');
  return out;
}

}  // namespace cohort::safetensors_format
