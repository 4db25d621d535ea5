// One AdamW step (decoupled weight decay, bias correction) over a group of parameters, as torch.optim.AdamW
// defines it. On CUDA with libtorch 2.x it is one fused multi-tensor kernel per group; elsewhere (libtorch
// 1.13, CPU) the same update as per-tensor ATen ops.
#pragma once

#include <ATen/ATen.h>

#include <vector>

namespace cohort {

// Hyperparameters of one step; `step` is 1 for the first step (bias correction).
struct AdamWStep {
  double lr;
  double beta1;
  double beta2;
  double eps;
  double weight_decay;
  int64_t step;
};

// The state the fused kernel needs that the portable path does not (device step counters).
struct AdamWGroup {
  std::vector<at::Tensor> params;
  std::vector<at::Tensor> exp_avg;
  std::vector<at::Tensor> exp_avg_sq;
  std::vector<at::Tensor> state_steps;  // fp32 scalars on the params' device, one per param (fused path)
  double weight_decay = 0;
};

// Update every parameter of `group` from its .grad(); grads must be defined.
void adamw_step(AdamWGroup& group, const AdamWStep& hp);

}  // namespace cohort
