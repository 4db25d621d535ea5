// Fused SwiGLU as an autograd function (see fused_ops.h and kernels/swiglu.h): saves only the gate/up GEMM
// output and returns d(gate_up) in that GEMM's layout.
#include <torch/csrc/autograd/custom_function.h>

#include "core/fused_dispatch.h"
#include "core/fused_ops.h"
#include "kernels/swiglu.h"

namespace cohort {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
using detail::data_of;

at::Tensor swiglu_forward(const at::Tensor& gate_up) {
  const int64_t f = gate_up.size(-1) / 2, m = gate_up.numel() / gate_up.size(-1);
  std::vector<int64_t> sizes = gate_up.sizes().vec();
  sizes.back() = f;
  at::Tensor out = at::empty(sizes, gate_up.options());
  detail::run_fused(
      gate_up, "swiglu_forward",
      [&](auto tag) {
        using S = decltype(tag);
        kernels::swiglu_forward_ref<S>(data_of<S>(out), data_of<S>(gate_up), m, f);
      },
      COHORT_CUDA_LAUNCH([&](auto tag) {
        using S = decltype(tag);
        return kernels::launch_swiglu_forward<S>(data_of<S>(out), data_of<S>(gate_up), m, f, nullptr);
      }));
  return out;
}

at::Tensor swiglu_backward(const at::Tensor& gate_up, const at::Tensor& dout) {
  const int64_t f = gate_up.size(-1) / 2, m = gate_up.numel() / gate_up.size(-1);
  at::Tensor dgate_up = at::empty_like(gate_up);
  detail::run_fused(
      gate_up, "swiglu_backward",
      [&](auto tag) {
        using S = decltype(tag);
        kernels::swiglu_backward_ref<S>(data_of<S>(dgate_up), data_of<S>(gate_up), data_of<S>(dout), m, f);
      },
      COHORT_CUDA_LAUNCH([&](auto tag) {
        using S = decltype(tag);
        return kernels::launch_swiglu_backward<S>(data_of<S>(dgate_up), data_of<S>(gate_up), data_of<S>(dout), m, f,
                                                  nullptr);
      }));
  return dgate_up;
}

struct SwigluFunction : public torch::autograd::Function<SwigluFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& gate_up) {
    ctx->save_for_backward({gate_up});
    return swiglu_forward(gate_up);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const at::Tensor gate_up = ctx->get_saved_variables()[0];
    return {swiglu_backward(gate_up, grads[0].to(gate_up.scalar_type()).contiguous())};
  }
};

}  // namespace

at::Tensor fused_swiglu(const at::Tensor& gate_up) {
  TORCH_CHECK(gate_up.dim() >= 1 && gate_up.size(-1) % 2 == 0, "fused_swiglu: the last dim must be even (gate, up)");
  return SwigluFunction::apply(gate_up.contiguous());
}

}  // namespace cohort
