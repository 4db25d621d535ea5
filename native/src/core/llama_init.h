// Deterministic initialisation of LLaMA parameters (CPU generator, so every device gets the same bytes).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "cohort/model_config.h"

namespace cohort {

// fp32 CPU tensors for `specs`, from `seed`: 2-D weights ~ N(0, init_std) (o_proj and down_proj scaled by
// 1/sqrt(2·n_layers)), 1-D norm weights = 1. Each tensor has its own stream (seed, index), so the result
// does not depend on the order tensors are drawn in.
std::vector<at::Tensor> init_parameters(const ModelConfig& config, const std::vector<ParamSpec>& specs, uint64_t seed);

}  // namespace cohort
