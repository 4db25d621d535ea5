// The safetensors header: the dtype table, parsing and validating a header against the file it came
// from, and writing one the way the reference implementation does. Internal to safetensors.cc.
#pragma once

#include <c10/core/ScalarType.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/safetensors.h"

namespace cohort::safetensors_format {

// The reference rejects longer headers (HeaderTooLarge).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct Dtype {
  const char* name;
  size_t size;                               // bytes per element
  int alignment_rank;                        // the reference's enum order: it sorts tensors by it, descending
  std::optional<at::ScalarType> scalar_type;  // none: recognised but not loadable here
};

// nullptr for a name the format does not define.
const Dtype* find_dtype(std::string_view name);

// The entry of a supported scalar type, or nullptr.
const Dtype* dtype_of(at::ScalarType type);

// Validates a header's JSON text (the N bytes after the length prefix) against a file of `file_size`
// bytes; `path` names the file in errors. Entries come back in data-buffer order.
SafetensorsHeader parse_header(std::string_view json_text, uint64_t file_size, const std::string& path);

// One tensor as the writer lays it out.
struct WriteEntry {
  const std::string* name;
  const Dtype* dtype;
  std::vector<int64_t> shape;
  uint64_t begin;
  uint64_t end;
};

// The header JSON in the reference's form, padded with spaces to a multiple of 8 bytes.
std::string write_header(const std::vector<WriteEntry>& entries, const SafetensorsMetadata& metadata);

}  // namespace cohort::safetensors_format
