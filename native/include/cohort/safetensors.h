// safetensors files (https://github.com/huggingface/safetensors): the checkpoint format Hugging Face
// loads. Layout: an 8-byte little-endian header length N, N bytes of JSON header
// {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}, then the
// data buffer, which the tensors (contiguous, little-endian, offsets relative to the buffer) cover exactly.
//
// Files come from peers and are treated as hostile: the loader validates everything the reference
// implementation does (header length, UTF-8 JSON, dtypes, shapes without overflow, offsets that tile the
// buffer with no gap or overlap, a buffer that ends the file, no duplicate names) and never allocates
// more than the file holds. Failures are InvalidArgumentError naming the file and the tensor.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cohort/blake2b.h"

namespace cohort {

struct NamedTensor {
  std::string name;
  at::Tensor tensor;
};

using SafetensorsMetadata = std::map<std::string, std::string>;

// One header entry. dtype is the file's name for it ("F32", "BF16", ...: every dtype of the format is
// recognised here, even ones load_safetensors cannot turn into tensors).
struct SafetensorsEntry {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offsets into the data buffer, [begin, end)
  uint64_t end = 0;
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> entries;  // in data-buffer order (ascending offsets)
  SafetensorsMetadata metadata;
  uint64_t data_start = 0;  // file offset of the data buffer: 8 + N
  uint64_t file_size = 0;
};

struct SafetensorsContents {
  std::vector<NamedTensor> tensors;  // CPU tensors owning their memory, in data-buffer order
  SafetensorsMetadata metadata;
};

struct SafetensorsLoadOptions {
  // When set, the whole file is hashed first (streaming) and a different digest is an
  // InvalidArgumentError; the tensors are then read from the same open file.
  std::optional<Blake2b256Digest> expected_blake2b256;
  // Called with the validated header before any tensor memory is allocated; throw to refuse the file.
  std::function<void(const SafetensorsHeader&)> check_header;
};

// The dtypes save and load support: F32, BF16, F16, F64, I64, I32, U8 (also I16, I8).
std::string safetensors_dtype_name(at::ScalarType type);  // throws InvalidArgumentError for others

// Writes `tensors` (any device; copied to CPU, contiguous) in the given order and `metadata` atomically
// (`<path>.tmp-<pid>`, fsync, rename, fsync of the directory). The header lists "__metadata__" first
// (when not empty), then the tensors in the reference writer's order (dtype alignment descending, then
// name), compact JSON padded with spaces to a multiple of 8 bytes. Names must be unique, non-empty and
// not "__metadata__".
void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const SafetensorsMetadata& metadata = {});

// Reads and validates only the header (reads 8 + N bytes).
SafetensorsHeader read_safetensors_header(const std::string& path);

// Reads the whole file into CPU tensors; see SafetensorsLoadOptions.
SafetensorsContents load_safetensors(const std::string& path, const SafetensorsLoadOptions& options = {});

}  // namespace cohort
