// Fused RMSNorm as an autograd function (see fused_ops.h and kernels/rms_norm.h): saves x and the per-row
// rstd; the weight's gradient comes out in the master dtype (on CUDA as per-block partials summed here).
#include <torch/csrc/autograd/custom_function.h>

#include "core/fused_dispatch.h"
#include "core/fused_ops.h"
#include "core/precision.h"
#include "kernels/rms_norm.h"

namespace cohort {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
using detail::data_of;

std::pair<at::Tensor, at::Tensor> rms_forward(const at::Tensor& x, const at::Tensor& weight, double eps) {
  const int64_t d = x.size(-1), n = x.numel() / d;
  at::Tensor y = at::empty_like(x);
  at::Tensor rstd = at::empty({n}, weight.options());
  detail::run_fused(
      x, "rms_norm_forward",
      [&](auto tag) {
        using S = decltype(tag);
        using A = kernels::math_t<S>;
        kernels::rms_norm_forward_ref<S>(data_of<S>(y), data_of<A>(rstd), data_of<S>(x), data_of<A>(weight), n, d, eps);
      },
      COHORT_CUDA_LAUNCH([&](auto tag) {
        using S = decltype(tag);
        return kernels::launch_rms_norm_forward<S>(data_of<S>(y), data_of<float>(rstd), data_of<S>(x), data_of<float>(weight), n,
                                                   d, static_cast<float>(eps), nullptr);
      }));
  return {y, rstd};
}

std::pair<at::Tensor, at::Tensor> rms_backward(const at::Tensor& dy, const at::Tensor& x, const at::Tensor& weight,
                                               const at::Tensor& rstd) {
  const int64_t d = x.size(-1), n = x.numel() / d;
  at::Tensor dx = at::empty_like(x);
  at::Tensor dw;
  detail::run_fused(
      x, "rms_norm_backward",
      [&](auto tag) {
        using S = decltype(tag);
        using A = kernels::math_t<S>;
        dw = at::empty({d}, weight.options());
        kernels::rms_norm_backward_ref<S>(data_of<S>(dx), data_of<A>(dw), data_of<S>(dy), data_of<S>(x), data_of<A>(weight),
                                          data_of<A>(rstd), n, d);
      },
      COHORT_CUDA_LAUNCH([&](auto tag) {
        using S = decltype(tag);
        at::Tensor partial = at::empty({kernels::rms_norm_partial_rows(n), d}, weight.options());
        const auto status = kernels::launch_rms_norm_backward<S>(data_of<S>(dx), data_of<float>(partial), data_of<S>(dy),
                                                                 data_of<S>(x), data_of<float>(weight), data_of<float>(rstd), n,
                                                                 d, nullptr);
        dw = partial.sum(0);
        return status;
      }));
  return {dx, dw};
}

struct RmsNormFunction : public torch::autograd::Function<RmsNormFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight, double eps) {
    auto [y, rstd] = rms_forward(x, weight, eps);
    ctx->save_for_backward({x, weight, rstd});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    auto [dx, dw] = rms_backward(grads[0].to(x.scalar_type()).contiguous(), x, saved[1], saved[2]);
    return {dx, dw, at::Tensor()};
  }
};

}  // namespace

at::Tensor fused_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  const at::ScalarType math = accumulate_dtype(x.scalar_type());
  TORCH_CHECK(x.dim() >= 1 && weight.dim() == 1 && weight.size(0) == x.size(-1) && weight.scalar_type() == math &&
                  weight.is_contiguous() && weight.device() == x.device(),
              "fused_rms_norm: expected a contiguous ", math, " weight of the last dim's size on the activations' device");
  TORCH_CHECK(!x.is_cuda() || x.size(-1) <= kernels::kRmsNormMaxColumns, "fused_rms_norm: rows wider than ",
              kernels::kRmsNormMaxColumns, " need the eager path");
  return RmsNormFunction::apply(x.contiguous(), weight, eps);
}

}  // namespace cohort
