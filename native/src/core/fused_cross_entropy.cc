// Fused cross-entropy as an autograd function (see fused_ops.h and kernels/cross_entropy.h): per-row losses
// from logits in their own dtype; the backward pass writes d(logits) in that dtype in one pass.
#include <torch/csrc/autograd/custom_function.h>

#include "core/fused_dispatch.h"
#include "core/fused_ops.h"
#include "core/precision.h"
#include "kernels/cross_entropy.h"

namespace cohort {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
using detail::data_of;

std::pair<at::Tensor, at::Tensor> ce_forward(const at::Tensor& logits_NV, const at::Tensor& targets_N, int64_t ignore) {
  const int64_t n = logits_NV.size(0), v = logits_NV.size(1);
  const auto math = logits_NV.options().dtype(accumulate_dtype(logits_NV.scalar_type()));
  at::Tensor loss_N = at::empty({n}, math);
  at::Tensor lse_N = at::empty({n}, math);
  const int64_t* targets = targets_N.data_ptr<int64_t>();
  detail::run_fused(
      logits_NV, "cross_entropy_forward",
      [&](auto tag) {
        using S = decltype(tag);
        using A = kernels::math_t<S>;
        kernels::cross_entropy_forward_ref<S>(data_of<A>(loss_N), data_of<A>(lse_N), data_of<S>(logits_NV), targets, n, v, ignore);
      },
      COHORT_CUDA_LAUNCH([&](auto tag) {
        using S = decltype(tag);
        return kernels::launch_cross_entropy_forward<S>(data_of<float>(loss_N), data_of<float>(lse_N), data_of<S>(logits_NV),
                                                        targets, n, v, ignore, nullptr);
      }));
  return {loss_N, lse_N};
}

at::Tensor ce_backward(const at::Tensor& logits_NV, const at::Tensor& targets_N, const at::Tensor& lse_N,
                       const at::Tensor& dloss_N, int64_t ignore) {
  const int64_t n = logits_NV.size(0), v = logits_NV.size(1);
  at::Tensor dlogits_NV = at::empty_like(logits_NV);
  const int64_t* targets = targets_N.data_ptr<int64_t>();
  detail::run_fused(
      logits_NV, "cross_entropy_backward",
      [&](auto tag) {
        using S = decltype(tag);
        using A = kernels::math_t<S>;
        kernels::cross_entropy_backward_ref<S>(data_of<S>(dlogits_NV), data_of<S>(logits_NV), targets, data_of<A>(lse_N),
                                               data_of<A>(dloss_N), n, v, ignore);
      },
      COHORT_CUDA_LAUNCH([&](auto tag) {
        using S = decltype(tag);
        return kernels::launch_cross_entropy_backward<S>(data_of<S>(dlogits_NV), data_of<S>(logits_NV), targets,
                                                         data_of<float>(lse_N), data_of<float>(dloss_N), n, v, ignore, nullptr);
      }));
  return dlogits_NV;
}

struct CrossEntropyFunction : public torch::autograd::Function<CrossEntropyFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& logits_NV, const at::Tensor& targets_N,
                            int64_t ignore_index) {
    auto [loss_N, lse_N] = ce_forward(logits_NV, targets_N, ignore_index);
    ctx->save_for_backward({logits_NV, targets_N, lse_N});
    ctx->saved_data["ignore_index"] = ignore_index;
    return loss_N;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor dloss_N = grads[0].to(saved[2].scalar_type()).contiguous();
    return {ce_backward(saved[0], saved[1], saved[2], dloss_N, ctx->saved_data["ignore_index"].toInt()), at::Tensor(),
            at::Tensor()};
  }
};

}  // namespace

at::Tensor fused_cross_entropy(const at::Tensor& logits_NV, const at::Tensor& targets_N, int64_t ignore_index) {
  TORCH_CHECK(logits_NV.dim() == 2 && logits_NV.size(1) >= 1, "fused_cross_entropy: expected logits [N, V]");
  TORCH_CHECK(targets_N.dim() == 1 && targets_N.size(0) == logits_NV.size(0) && targets_N.scalar_type() == at::kLong &&
                  targets_N.device() == logits_NV.device(),
              "fused_cross_entropy: expected int64 targets [N] on the logits' device");
  return CrossEntropyFunction::apply(logits_NV.contiguous(), targets_N.contiguous(), ignore_index);
}

}  // namespace cohort
