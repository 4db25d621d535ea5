// AdamW (see adamw.h).
#include "cohort/adamw.h"

#include <c10/core/GradMode.h>
#include <torch/version.h>

#include <cmath>

namespace cohort {

void adamw_step(AdamWGroup& group, const AdamWStep& hp) {
  if (group.params.empty()) return;
  c10::NoGradGuard no_grad;
#if TORCH_VERSION_MAJOR >= 2
  if (group.params.front().is_cuda()) {
    std::vector<at::Tensor> grads;
    grads.reserve(group.params.size());
    for (const auto& p : group.params) grads.push_back(p.grad());
    // Like torch.optim.AdamW: the step counters are advanced before the kernel, which only reads them for
    // bias correction (a zero step would divide by zero).
    at::_foreach_add_(group.state_steps, 1);
    at::_fused_adamw_(group.params, grads, group.exp_avg, group.exp_avg_sq, {}, group.state_steps, hp.lr, hp.beta1,
                      hp.beta2, group.weight_decay, hp.eps, /*amsgrad=*/false, /*maximize=*/false);
    return;
  }
#endif
  const double bias1 = 1.0 - std::pow(hp.beta1, static_cast<double>(hp.step));
  const double bias2 = 1.0 - std::pow(hp.beta2, static_cast<double>(hp.step));
  for (size_t i = 0; i < group.params.size(); ++i) {
    at::Tensor p = group.params[i];
    const at::Tensor g = p.grad();
    if (group.weight_decay > 0) p.mul_(1.0 - hp.lr * group.weight_decay);
    group.exp_avg[i].mul_(hp.beta1).add_(g, 1.0 - hp.beta1);
    group.exp_avg_sq[i].mul_(hp.beta2).addcmul_(g, g, 1.0 - hp.beta2);
    const at::Tensor denom = (group.exp_avg_sq[i].sqrt() / std::sqrt(bias2)).add_(hp.eps);
    p.addcdiv_(group.exp_avg[i], denom, -hp.lr / bias1);
  }
}

}  // namespace cohort
