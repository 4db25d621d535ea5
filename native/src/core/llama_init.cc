// Deterministic parameter initialisation (see llama_init.h).
#include "core/llama_init.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <string>

namespace cohort {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// splitmix64: decorrelates (seed, index) into one generator seed per tensor.
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace

std::vector<at::Tensor> init_parameters(const ModelConfig& config, const std::vector<ParamSpec>& specs, uint64_t seed) {
  const double out_std = config.init_std / std::sqrt(2.0 * static_cast<double>(config.n_layers));
  std::vector<at::Tensor> params;
  params.reserve(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    const ParamSpec& spec = specs[i];
    if (spec.shape.size() == 1) {
      params.push_back(at::ones(spec.shape, at::kFloat));
      continue;
    }
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(mix(seed ^ mix(i)));
    const bool out_proj = ends_with(spec.name, "o_proj.weight") || ends_with(spec.name, "down_proj.weight");
    params.push_back(at::empty(spec.shape, at::kFloat).normal_(0.0, out_proj ? out_std : config.init_std, gen));
  }
  return params;
}

}  // namespace cohort
