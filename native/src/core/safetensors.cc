// save_safetensors / read_safetensors_header / load_safetensors (see include/cohort/safetensors.h).
// Tensors of any shape; no shape suffixes apply here.
#include "cohort/safetensors.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cohort/errors.h"
#include "core/file_hash.h"
#include "core/file_io.h"
#include "core/safetensors_format.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors I/O copies tensor memory as little-endian bytes: a little-endian host is required"
#endif

namespace cohort {
namespace {

namespace format = safetensors_format;

std::string describe(const at::Tensor& t) {
  if (!t.defined()) return "an undefined tensor";
  std::ostringstream out;
  out << "a " << t.scalar_type() << " tensor of shape " << t.sizes() << " on " << t.device();
  return out.str();
}

std::vector<format::WriteEntry> plan_layout(const std::string& path, const std::vector<NamedTensor>& tensors) {
  std::vector<format::WriteEntry> entries;
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const NamedTensor& named : tensors) {
    const std::string what = "tensor \"" + named.name + "\" written to " + path;
    const char* bad_name = named.name.empty()              ? "an empty name"
                           : named.name == "__metadata__"    ? "the reserved name __metadata__"
                           : !names.insert(named.name).second ? "a duplicate name"
                                                              : nullptr;
    if (bad_name != nullptr) {
      throw InvalidArgumentError(expected_message("a unique, non-empty name other than __metadata__", what, bad_name));
    }
    const at::Tensor& t = named.tensor;
    const format::Dtype* dtype = t.defined() ? format::dtype_of(t.scalar_type()) : nullptr;
    if (dtype == nullptr || t.layout() != at::kStrided) {
      throw InvalidArgumentError(
          expected_message("a dense F32, BF16, F16, F64, I64, I32, I16, I8 or U8 tensor", what, describe(t)));
    }
    const uint64_t bytes = static_cast<uint64_t>(t.numel()) * dtype->size;
    entries.push_back({&named.name, dtype, t.sizes().vec(), offset, offset + bytes});
    offset += bytes;
  }
  return entries;
}

void read_prefix(const io::ReadOnlyFile& file, uint64_t& header_bytes) {
  if (file.size() < 8) {
    throw InvalidArgumentError(file.path() + ": " + expected_message("at least 8 bytes (the header length)",
                                                                     "a safetensors file",
                                                                     std::to_string(file.size()) + " bytes"));
  }
  uint8_t prefix[8];
  file.read_exact(0, prefix, sizeof(prefix));
  header_bytes = 0;
  for (int i = 7; i >= 0; --i) header_bytes = (header_bytes << 8) | prefix[i];
  const uint64_t room = std::min<uint64_t>(file.size() - 8, format::kMaxHeaderBytes);
  if (header_bytes > room) {
    throw InvalidArgumentError(file.path() + ": " +
                               expected_message("a header length of at most " + std::to_string(room) +
                                                    " bytes (within the file and the 100 MB limit)",
                                                "the safetensors header", std::to_string(header_bytes) + " bytes"));
  }
}

SafetensorsHeader read_header(const io::ReadOnlyFile& file) {
  uint64_t header_bytes = 0;
  read_prefix(file, header_bytes);
  std::string json_text(static_cast<size_t>(header_bytes), '\0');
  file.read_exact(8, json_text.data(), json_text.size());
  return format::parse_header(json_text, file.size(), file.path());
}

void check_hash(const io::ReadOnlyFile& file, const Blake2b256Digest& expected) {
  const Blake2b256Digest actual = io::file_blake2b256(file, file.size());
  if (actual != expected) {
    throw InvalidArgumentError(file.path() + ": " + expected_message("BLAKE2b-256 " + to_hex(expected), "the file",
                                                                     "a file hashing to " + to_hex(actual)));
  }
}

}  // namespace

std::string safetensors_dtype_name(at::ScalarType type) {
  const format::Dtype* dtype = format::dtype_of(type);
  if (dtype == nullptr) {
    throw InvalidArgumentError(expected_message("a scalar type safetensors I/O supports", "safetensors dtype",
                                                c10::toString(type)));
  }
  return dtype->name;
}

void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const SafetensorsMetadata& metadata) {
  const std::vector<format::WriteEntry> entries = plan_layout(path, tensors);
  const std::string header = format::write_header(entries, metadata);
  uint8_t prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<uint8_t>(static_cast<uint64_t>(header.size()) >> (8 * i));
  io::AtomicFileWriter writer(path);
  writer.write(prefix, sizeof(prefix));
  writer.write(header.data(), header.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const at::Tensor host = tensors[i].tensor.to(at::kCPU).contiguous();
    writer.write(host.data_ptr(), static_cast<size_t>(entries[i].end - entries[i].begin));
  }
  writer.commit();
}

SafetensorsHeader read_safetensors_header(const std::string& path) { return read_header(io::ReadOnlyFile(path)); }

SafetensorsContents load_safetensors(const std::string& path, const SafetensorsLoadOptions& options) {
  const io::ReadOnlyFile file(path);
  if (options.expected_blake2b256) check_hash(file, *options.expected_blake2b256);
  const SafetensorsHeader header = read_header(file);
  if (options.check_header) options.check_header(header);
  SafetensorsContents contents;
  contents.metadata = header.metadata;
  for (const SafetensorsEntry& entry : header.entries) {
    const format::Dtype* dtype = format::find_dtype(entry.dtype);
    if (!dtype->scalar_type) {
      throw InvalidArgumentError(path + ": " + expected_message("a dtype this engine loads (F32, BF16, F16, F64, I64, "
                                                                "I32, I16, I8, U8)",
                                                                "tensor \"" + entry.name + "\"", entry.dtype));
    }
  }
  // Every tensor is checked before any memory is allocated; together they are exactly the data buffer.
  for (const SafetensorsEntry& entry : header.entries) {
    at::Tensor t = at::empty(entry.shape, at::TensorOptions().dtype(*format::find_dtype(entry.dtype)->scalar_type));
    file.read_exact(header.data_start + entry.begin, t.data_ptr(), static_cast<size_t>(entry.end - entry.begin));
    contents.tensors.push_back({entry.name, std::move(t)});
  }
  return contents;
}

}  // namespace cohort
