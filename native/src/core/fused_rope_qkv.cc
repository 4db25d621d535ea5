// Fused QKV split + RoPE as an autograd function (see fused_ops.h and kernels/rope_qkv.h): one pass writes
// q, k (rotated) and v (copied) in [B, T, heads, E]; one pass writes d(qkv) in the GEMM's layout.
#include <torch/csrc/autograd/custom_function.h>

#include "core/fused_dispatch.h"
#include "core/fused_ops.h"
#include "kernels/rope_qkv.h"

namespace cohort {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
using detail::data_of;

variable_list rope_forward(const at::Tensor& qkv_BTX, const at::Tensor& cos_TE, const at::Tensor& sin_TE,
                           const kernels::QkvShape& shape) {
  const int64_t B = qkv_BTX.size(0), T = qkv_BTX.size(1), n = B * T;
  at::Tensor q = at::empty({B, T, shape.q_heads, shape.head_dim}, qkv_BTX.options());
  at::Tensor k = at::empty({B, T, shape.kv_heads, shape.head_dim}, qkv_BTX.options());
  at::Tensor v = at::empty({B, T, shape.kv_heads, shape.head_dim}, qkv_BTX.options());
  const float* cos = cos_TE.data_ptr<float>();
  const float* sin = sin_TE.data_ptr<float>();
  detail::run_fused(
      qkv_BTX, "rope_qkv_forward",
      [&](auto tag) {
        using S = decltype(tag);
        kernels::rope_qkv_forward_ref<S>(data_of<S>(q), data_of<S>(k), data_of<S>(v), data_of<S>(qkv_BTX), cos, sin, shape, n);
      },
      COHORT_CUDA_LAUNCH([&](auto tag) {
        using S = decltype(tag);
        return kernels::launch_rope_qkv_forward<S>(data_of<S>(q), data_of<S>(k), data_of<S>(v), data_of<S>(qkv_BTX), cos, sin,
                                                   shape, n, nullptr);
      }));
  return {q, k, v};
}

at::Tensor rope_backward(const at::Tensor& dq, const at::Tensor& dk, const at::Tensor& dv, const at::Tensor& cos_TE,
                         const at::Tensor& sin_TE, const kernels::QkvShape& shape) {
  const int64_t B = dq.size(0), T = dq.size(1), n = B * T;
  at::Tensor dqkv = at::empty({B, T, shape.row_width()}, dq.options());
  const float* cos = cos_TE.data_ptr<float>();
  const float* sin = sin_TE.data_ptr<float>();
  detail::run_fused(
      dq, "rope_qkv_backward",
      [&](auto tag) {
        using S = decltype(tag);
        kernels::rope_qkv_backward_ref<S>(data_of<S>(dqkv), data_of<S>(dq), data_of<S>(dk), data_of<S>(dv), cos, sin, shape, n);
      },
      COHORT_CUDA_LAUNCH([&](auto tag) {
        using S = decltype(tag);
        return kernels::launch_rope_qkv_backward<S>(data_of<S>(dqkv), data_of<S>(dq), data_of<S>(dk), data_of<S>(dv), cos, sin,
                                                    shape, n, nullptr);
      }));
  return dqkv;
}

struct RopeQkvFunction : public torch::autograd::Function<RopeQkvFunction> {
  static variable_list forward(AutogradContext* ctx, const at::Tensor& qkv_BTX, const at::Tensor& cos_TE,
                               const at::Tensor& sin_TE, int64_t q_heads, int64_t kv_heads, int64_t head_dim) {
    ctx->save_for_backward({cos_TE, sin_TE});
    ctx->saved_data["q_heads"] = q_heads;
    ctx->saved_data["kv_heads"] = kv_heads;
    ctx->saved_data["head_dim"] = head_dim;
    return rope_forward(qkv_BTX, cos_TE, sin_TE, kernels::QkvShape{q_heads, kv_heads, head_dim, qkv_BTX.size(1)});
  }

  // Autograd hands each gradient in its output's dtype; one that did not reach the loss is undefined: zero.
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor& any = grads[0].defined() ? grads[0] : (grads[1].defined() ? grads[1] : grads[2]);
    const int64_t B = any.size(0), T = any.size(1);
    const kernels::QkvShape shape{ctx->saved_data["q_heads"].toInt(), ctx->saved_data["kv_heads"].toInt(),
                                  ctx->saved_data["head_dim"].toInt(), T};
    const auto grad = [&](size_t i, int64_t heads) {
      return grads[i].defined() ? grads[i].contiguous() : at::zeros({B, T, heads, shape.head_dim}, any.options());
    };
    const at::Tensor dqkv = rope_backward(grad(0, shape.q_heads), grad(1, shape.kv_heads), grad(2, shape.kv_heads),
                                          saved[0], saved[1], shape);
    return {dqkv, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

std::array<at::Tensor, 3> fused_rope_qkv(const at::Tensor& qkv_BTX, const at::Tensor& cos_TE, const at::Tensor& sin_TE,
                                         int64_t q_heads, int64_t kv_heads, int64_t head_dim) {
  TORCH_CHECK(qkv_BTX.dim() == 3 && qkv_BTX.size(2) == (q_heads + 2 * kv_heads) * head_dim && head_dim % 2 == 0,
              "fused_rope_qkv: expected [B, T, (H + 2K) * E] with an even E");
  TORCH_CHECK(cos_TE.scalar_type() == at::kFloat && sin_TE.scalar_type() == at::kFloat && cos_TE.size(0) >= qkv_BTX.size(1) &&
                  cos_TE.size(1) == head_dim && cos_TE.sizes() == sin_TE.sizes() && cos_TE.is_contiguous() &&
                  sin_TE.is_contiguous() && cos_TE.device() == qkv_BTX.device(),
              "fused_rope_qkv: expected contiguous fp32 rope tables of [>= T, E] on the activations' device");
  const variable_list out = RopeQkvFunction::apply(qkv_BTX.contiguous(), cos_TE, sin_TE, q_heads, kv_heads, head_dim);
  // [B, T, heads, E] seen as [B, heads, T, E]: the layout flash attention reads without a copy.
  return {out[0].transpose(1, 2), out[1].transpose(1, 2), out[2].transpose(1, 2)};
}

}  // namespace cohort
