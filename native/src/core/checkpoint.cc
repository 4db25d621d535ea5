// save_checkpoint / load_checkpoint (see include/cohort/checkpoint.h): the tensor set is checked against
// parameter_specs before anything is written, and before any tensor memory is allocated on load.
// Parameters keep their model shapes; no shape suffixes apply here.
#include "cohort/checkpoint.h"

#include <ATen/ATen.h>

#include <string>
#include <unordered_map>
#include <utility>

#include "cohort/errors.h"
#include "core/file_io.h"
#include "core/hf_config.h"
#include "core/problem_list.h"

namespace cohort {
namespace {

constexpr size_t kMaxConfigBytes = 1u << 20;

std::string join(const std::string& dir, const char* file) {
  return dir.empty() || dir.back() == '/' ? dir + file : dir + "/" + file;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out.append(i > 0 ? ", " : "").append(std::to_string(shape[i]));
  return out + "]";
}

// What the check needs of a stored tensor, whether from a header or from memory.
struct StoredTensor {
  const std::string* name;
  std::string dtype;  // safetensors name ("F32", "BF16", ...)
  std::vector<int64_t> shape;
};

// Index of every spec by name.
std::unordered_map<std::string, size_t> index_specs(const std::vector<ParamSpec>& specs) {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < specs.size(); ++i) index.emplace(specs[i].name, i);
  return index;
}

// Throws unless `stored` is exactly `specs` (as a set), with matching shapes and an F32/BF16 dtype.
void check_tensor_set(const std::vector<StoredTensor>& stored, const std::vector<ParamSpec>& specs,
                      const std::string& heading) {
  const std::unordered_map<std::string, size_t> index = index_specs(specs);
  std::vector<bool> seen(specs.size(), false);
  ProblemList problems;
  for (const StoredTensor& t : stored) {
    const auto it = index.find(*t.name);
    if (it == index.end()) {
      problems.add("unexpected tensor " + *t.name);
      continue;
    }
    seen[it->second] = true;
    const ParamSpec& spec = specs[it->second];
    if (t.shape != spec.shape) {
      problems.add(expected_message("shape " + shape_text(spec.shape), *t.name, shape_text(t.shape)));
    }
    if (t.dtype != "F32" && t.dtype != "BF16") problems.add(expected_message("dtype F32 or BF16", *t.name, t.dtype));
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    if (!seen[i]) problems.add("missing tensor " + specs[i].name);
  }
  problems.throw_if_any(heading);
}

std::string heading(const std::string& path, const ModelConfig& config) {
  return path + " does not match model config \"" + config.preset + "\"";
}

}  // namespace

void save_checkpoint(const std::string& dir, const ModelConfig& config, const std::vector<NamedTensor>& tensors,
                     const SafetensorsMetadata& metadata) {
  const std::vector<ParamSpec> specs = parameter_specs(config);
  const std::string model_path = join(dir, kCheckpointModelFile);
  std::vector<StoredTensor> stored;
  for (const NamedTensor& t : tensors) {
    if (!t.tensor.defined()) {
      throw InvalidArgumentError(
          expected_message("a defined tensor", "tensor " + t.name + " of " + model_path, "an undefined one"));
    }
    const at::ScalarType type = t.tensor.scalar_type();
    const std::string dtype = type == at::kFloat ? "F32" : type == at::kBFloat16 ? "BF16" : c10::toString(type);
    stored.push_back({&t.name, dtype, t.tensor.sizes().vec()});
  }
  check_tensor_set(stored, specs, heading(model_path, config));
  if (tensors.size() != specs.size()) {  // every spec is present, so some name appears twice
    throw InvalidArgumentError(heading(model_path, config) + ": " +
                               expected_message(std::to_string(specs.size()) + " tensors", "the checkpoint",
                                                std::to_string(tensors.size()) + ", a duplicate name"));
  }
  const at::ScalarType dtype = tensors.front().tensor.scalar_type();
  for (const NamedTensor& t : tensors) {
    if (t.tensor.scalar_type() != dtype) {
      throw InvalidArgumentError(expected_message(std::string("every tensor in ") + c10::toString(dtype),
                                                  "tensor " + t.name + " of " + model_path,
                                                  c10::toString(t.tensor.scalar_type())));
    }
  }
  SafetensorsMetadata full_metadata = metadata;
  const auto [format, inserted] = full_metadata.emplace("format", "pt");
  if (!inserted && format->second != "pt") {
    throw InvalidArgumentError(expected_message("\"pt\" (transformers requires it)", "checkpoint metadata \"format\"",
                                                "\"" + format->second + "\""));
  }
  const std::unordered_map<std::string, size_t> index = index_specs(specs);
  std::vector<NamedTensor> ordered(specs.size());
  for (const NamedTensor& t : tensors) ordered[index.at(t.name)] = t;
  const std::string config_text = hf_config_json(config, dtype);
  io::create_directories(dir);
  save_safetensors(model_path, ordered, full_metadata);
  io::write_file_atomically(join(dir, kCheckpointConfigFile), config_text);
}

Checkpoint load_checkpoint(const std::string& dir, const ModelConfig& expected,
                           const std::optional<Blake2b256Digest>& expected_model_blake2b256) {
  const std::vector<ParamSpec> specs = parameter_specs(expected);
  const std::string model_path = join(dir, kCheckpointModelFile);
  const std::string config_path = join(dir, kCheckpointConfigFile);
  SafetensorsLoadOptions options;
  options.expected_blake2b256 = expected_model_blake2b256;
  options.check_header = [&](const SafetensorsHeader& header) {
    check_hf_config(io::read_small_file(config_path, kMaxConfigBytes), expected, config_path);
    std::vector<StoredTensor> stored;
    for (const SafetensorsEntry& entry : header.entries) stored.push_back({&entry.name, entry.dtype, entry.shape});
    check_tensor_set(stored, specs, heading(model_path, expected));
  };
  SafetensorsContents contents = load_safetensors(model_path, options);
  const std::unordered_map<std::string, size_t> index = index_specs(specs);
  Checkpoint checkpoint;
  checkpoint.metadata = std::move(contents.metadata);
  checkpoint.tensors.resize(specs.size());
  for (NamedTensor& t : contents.tensors) {
    const size_t i = index.at(t.name);
    checkpoint.tensors[i] = {std::move(t.name), t.tensor.to(at::kFloat)};
  }
  return checkpoint;
}

}  // namespace cohort
