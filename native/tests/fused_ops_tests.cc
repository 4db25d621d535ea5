// Fused model ops (src/kernels swiglu, rope_qkv, rms_norm, cross_entropy through core/fused_ops.h) on the CPU, where they run
// the kernels' twins: the same per-element formulas the CUDA kernels run. Each op against its eager chain
// (forward and autograd backward), the whole fused model against finite differences and against the eager
// model, and the bf16 rounding against torch's. Shape legend: B batch, T sequence, X = (H+2K)·E, D width.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <c10/core/GradMode.h>
#include <c10/util/BFloat16.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "cohort/model.h"
#include "core/fused_ops.h"
#include "core/rope.h"
#include "kernels/fused_math.h"
#include "test_harness.h"
#include "test_models.h"

namespace {

at::Tensor randn(at::IntArrayRef sizes, uint64_t seed, at::ScalarType dtype) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn(sizes, gen, at::kDouble).to(dtype);
}

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

// Runs f on a fresh leaf copy of each input, backpropagates sum(out · probe) and returns {out, grads...}.
template <typename F>
std::vector<at::Tensor> forward_backward(const std::vector<at::Tensor>& inputs, const at::Tensor& probe, F&& f) {
  std::vector<at::Tensor> leaves;
  for (const auto& x : inputs) leaves.push_back(x.detach().clone().set_requires_grad(true));
  const at::Tensor out = f(leaves);
  (out.to(at::kDouble) * probe.to(at::kDouble)).sum().backward();
  std::vector<at::Tensor> result{out.detach()};
  for (const auto& leaf : leaves) result.push_back(leaf.grad());
  return result;
}

at::Tensor eager_swiglu(const at::Tensor& gate_up) {
  const int64_t F = gate_up.size(-1) / 2;
  return at::silu(gate_up.narrow(-1, 0, F)) * gate_up.narrow(-1, F, F);
}

at::Tensor eager_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  return x * at::rsqrt(x.pow(2).mean({-1}, /*keepdim=*/true) + eps) * weight;
}

cohort::ModelConfig tiny(bool tied = true) {
  cohort::ModelConfig c = cohort::test::tiny_config({17, 8, 2, 1, 12, 8});
  c.tied_embeddings = tied;
  c.init_std = 0.3;
  return c;
}

}  // namespace

COHORT_TEST(bf16_rounding_matches_torch_bit_for_bit) {
  std::vector<float> values = {0.0F, -0.0F, 1.0F, -1.5F, 1e-40F, -3e38F, std::numeric_limits<float>::infinity(),
                               -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()};
  // Exact ties in both directions (even and odd upper halves) and their neighbours.
  for (const uint32_t bits : {0x3f808000U, 0x3f818000U, 0x3f807fffU, 0x3f808001U, 0x7f7fffffU}) {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    values.push_back(f);
  }
  const at::Tensor random = randn({4096}, 1, at::kFloat) * 1e3;
  for (int64_t i = 0; i < random.numel(); ++i) values.push_back(random[i].item<float>());
  for (const float f : values) {
    const c10::BFloat16 expected(f);
    const cohort::kernels::bf16 actual = cohort::kernels::to_bf16(f);
    if (actual.bits != expected.x) {
      cohort::test::fail(__FILE__, __LINE__, "to_bf16(" + std::to_string(f) + ") = " + std::to_string(actual.bits) +
                                                 ", torch " + std::to_string(expected.x));
    }
    REQUIRE(std::isnan(f) || cohort::kernels::to_float(actual) == static_cast<float>(expected));
  }
}

COHORT_TEST(swiglu_matches_the_eager_chain_and_its_gradient) {
  for (const auto dtype : {at::kDouble, at::kFloat}) {
    const at::Tensor gate_up = randn({3, 5, 14}, 2, dtype) * 3;
    const at::Tensor probe = randn({3, 5, 7}, 3, at::kDouble);
    const auto fused = forward_backward({gate_up}, probe, [](auto& in) { return cohort::fused_swiglu(in[0]); });
    const auto eager = forward_backward({gate_up}, probe, [](auto& in) { return eager_swiglu(in[0]); });
    const double tol = dtype == at::kDouble ? 1e-12 : 2e-5;
    REQUIRE_EQ(fused[0].scalar_type(), dtype);
    REQUIRE(max_abs_diff(fused[0], eager[0]) < tol);
    REQUIRE(max_abs_diff(fused[1], eager[1]) < tol);
  }
  // bf16: one rounding of the fp32 result (eager rounds silu first, then the product).
  const at::Tensor gate_up = randn({4, 64}, 4, at::kBFloat16);
  const at::Tensor fused = cohort::fused_swiglu(gate_up);
  const at::Tensor exact = eager_swiglu(gate_up.to(at::kFloat)).to(at::kBFloat16);
  REQUIRE(at::equal(fused, exact));
}

COHORT_TEST(rope_qkv_equals_eager_rope_bit_for_bit_in_fp32) {
  const int64_t B = 2, T = 5, H = 4, K = 2, E = 8, X = (H + 2 * K) * E;
  const auto [cos_TE, sin_TE] = cohort::rope_tables(16, E, 10000.0, at::kCPU);
  const at::Tensor qkv = randn({B, T, X}, 5, at::kFloat);
  const at::Tensor probe_q = randn({B, H, T, E}, 6, at::kDouble);
  const at::Tensor probe_k = randn({B, K, T, E}, 7, at::kDouble);
  const at::Tensor probe_v = randn({B, K, T, E}, 8, at::kDouble);
  const auto run = [&](bool fused) {
    at::Tensor leaf = qkv.clone().set_requires_grad(true);
    std::array<at::Tensor, 3> out;
    if (fused) {
      out = cohort::fused_rope_qkv(leaf, cos_TE, sin_TE, H, K, E);
    } else {
      out = {cohort::apply_rope(leaf.narrow(-1, 0, H * E).view({B, T, H, E}).transpose(1, 2), cos_TE, sin_TE),
             cohort::apply_rope(leaf.narrow(-1, H * E, K * E).view({B, T, K, E}).transpose(1, 2), cos_TE, sin_TE),
             leaf.narrow(-1, (H + K) * E, K * E).view({B, T, K, E}).transpose(1, 2)};
    }
    ((out[0] * probe_q.to(at::kFloat)).sum() + (out[1] * probe_k.to(at::kFloat)).sum() +
     (out[2] * probe_v.to(at::kFloat)).sum())
        .backward();
    return std::vector<at::Tensor>{out[0].detach(), out[1].detach(), out[2].detach(), leaf.grad()};
  };
  const auto fused = run(true), eager = run(false);
  REQUIRE_EQ(fused[0].sizes(), eager[0].sizes());
  for (size_t i = 0; i < fused.size(); ++i) {
    if (!at::equal(fused[i], eager[i])) {
      cohort::test::fail(__FILE__, __LINE__, "output " + std::to_string(i) + " differs by " +
                                                 std::to_string(max_abs_diff(fused[i], eager[i])));
    }
  }
}

COHORT_TEST(rms_norm_matches_the_eager_formula_and_its_gradients) {
  for (const auto dtype : {at::kDouble, at::kFloat}) {
    const auto master = dtype == at::kDouble ? at::kDouble : at::kFloat;
    const at::Tensor x = randn({3, 4, 32}, 9, dtype) * 2;
    const at::Tensor w = randn({32}, 10, master);
    const at::Tensor probe = randn({3, 4, 32}, 11, at::kDouble);
    const auto fused = forward_backward({x, w}, probe, [](auto& in) { return cohort::fused_rms_norm(in[0], in[1], 1e-5); });
    const auto eager = forward_backward({x, w}, probe, [](auto& in) { return eager_rms_norm(in[0], in[1], 1e-5); });
    const double tol = dtype == at::kDouble ? 1e-12 : 5e-5;
    for (size_t i = 0; i < fused.size(); ++i) {
      const double diff = max_abs_diff(fused[i], eager[i]);
      if (!(diff < tol)) cohort::test::fail(__FILE__, __LINE__, "output " + std::to_string(i) + " differs by " + std::to_string(diff));
    }
    REQUIRE_EQ(fused[2].scalar_type(), master);  // the weight's gradient in the master dtype
  }
}

COHORT_TEST(cross_entropy_matches_torch_with_ignored_rows_and_its_gradient) {
  constexpr int64_t kIgnore = -100;
  const at::Tensor targets = at::tensor(std::vector<int64_t>{3, kIgnore, 0, 9, 5, kIgnore, 1}, at::kLong);
  for (const auto dtype : {at::kDouble, at::kFloat}) {
    const at::Tensor logits = randn({7, 10}, 12, dtype) * 4;
    const at::Tensor probe = at::ones({}, at::kDouble);
    const auto fused = forward_backward({logits}, probe, [&](auto& in) {
      return cohort::fused_cross_entropy(in[0], targets, kIgnore).sum() / 5.0;
    });
    const auto eager = forward_backward({logits}, probe, [&](auto& in) {
      return at::cross_entropy_loss(in[0], targets, {}, at::Reduction::Mean, kIgnore);
    });
    const double tol = dtype == at::kDouble ? 1e-12 : 1e-5;
    REQUIRE(max_abs_diff(fused[0], eager[0]) < tol);
    REQUIRE(max_abs_diff(fused[1], eager[1]) < tol);
    REQUIRE_EQ(fused[1][1].abs().sum().item<double>(), 0.0);  // an ignored row gets no gradient
  }
  // Logits whose exp overflows fp32: the running log-sum-exp never does. bf16 logits: losses in fp32 from the exact values.
  const at::Tensor big = at::tensor(std::vector<float>{100.0F, -100.0F, 0.0F, 100.0F}).view({1, 4});
  REQUIRE_NEAR(cohort::fused_cross_entropy(big, at::tensor(std::vector<int64_t>{0}), kIgnore).item<float>(), std::log(2.0), 2e-5);
  const at::Tensor logits16 = randn({4, 300}, 13, at::kBFloat16);
  const at::Tensor t16 = at::tensor(std::vector<int64_t>{0, 299, 17, 150}, at::kLong);
  const at::Tensor expected = at::cross_entropy_loss(logits16.to(at::kFloat), t16, {}, at::Reduction::None, kIgnore);
  REQUIRE(max_abs_diff(cohort::fused_cross_entropy(logits16, t16, kIgnore), expected) < 1e-5);
  // A target outside the vocabulary is NaN, never a read past the row.
  REQUIRE(std::isnan(cohort::fused_cross_entropy(randn({1, 4}, 14, at::kFloat), at::tensor(std::vector<int64_t>{4}), kIgnore).item<float>()));
}

// The gradient check, through the fused ops: autograd vs central differences on a tiny fp64 model.
COHORT_TEST(fused_model_gradients_match_finite_differences) {
  for (const bool tied : {true, false}) {
    cohort::ModelPlacement f64{at::kCPU, at::kDouble, at::kDouble};
    f64.fused_ops = true;
    cohort::LlamaModel model(tiny(tied), 7, f64);
    REQUIRE(model.uses_fused_ops());
    const at::Tensor batch_BT = cohort::test::random_tokens(2, 6, 17, 3);
    model.loss(batch_BT).backward();
    c10::NoGradGuard no_grad;
    double worst = 0;
    for (size_t i = 0; i < model.parameters().size(); ++i) {
      const at::Tensor flat = model.parameters()[i].view({-1});
      const at::Tensor grad = model.parameters()[i].grad().reshape({-1});
      for (const int64_t j : {int64_t{0}, flat.numel() / 2, flat.numel() - 1}) {
        const double original = flat[j].item<double>(), h = 1e-5;
        flat[j] = original + h;
        const double up = model.loss(batch_BT).item<double>();
        flat[j] = original - h;
        const double down = model.loss(batch_BT).item<double>();
        flat[j] = original;
        const double numeric = (up - down) / (2 * h), analytic = grad[j].item<double>();
        const double rel = std::abs(numeric - analytic) / std::max(1e-8, std::abs(numeric) + std::abs(analytic));
        worst = std::max(worst, rel);
        if (rel >= 1e-3) cohort::test::fail(__FILE__, __LINE__, model.specs()[i].name + ": relative error " + std::to_string(rel));
      }
    }
    std::printf("  fused gradient check (%s): worst relative error %.2e\n", tied ? "tied" : "untied", worst);
  }
}

COHORT_TEST(fused_model_agrees_with_the_eager_model) {
  const cohort::ModelConfig config = cohort::test::tiny_config({64, 32, 4, 2, 48, 16});
  const at::Tensor batch_BT = cohort::test::random_tokens(3, 12, 64, 4);
  for (const auto compute : {at::kFloat, at::kBFloat16}) {
    cohort::ModelPlacement eager_placement{at::kCPU, at::kFloat, compute};
    cohort::ModelPlacement fused_placement = eager_placement;
    fused_placement.fused_ops = true;
    cohort::LlamaModel eager(config, 5, eager_placement), fused(config, 5, fused_placement);
    REQUIRE(!eager.uses_fused_ops());
    const at::Tensor eager_loss = eager.loss(batch_BT), fused_loss = fused.loss(batch_BT);
    eager_loss.backward();
    fused_loss.backward();
    const bool bf16 = compute == at::kBFloat16;
    REQUIRE_NEAR(fused_loss.item<double>(), eager_loss.item<double>(), bf16 ? 2e-2 : 1e-5);
    for (size_t i = 0; i < eager.parameters().size(); ++i) {
      const at::Tensor a = fused.parameters()[i].grad().to(at::kDouble).view({-1});
      const at::Tensor b = eager.parameters()[i].grad().to(at::kDouble).view({-1});
      const double cosine = (a * b).sum().item<double>() / (a.norm().item<double>() * b.norm().item<double>() + 1e-30);
      const double rel = (a - b).norm().item<double>() / (b.norm().item<double>() + 1e-30);
      if (bf16 ? cosine < 0.99 : rel > 1e-4) {
        cohort::test::fail(__FILE__, __LINE__, eager.specs()[i].name + (bf16 ? ": gradient cosine " : ": relative error ") +
                                                   std::to_string(bf16 ? cosine : rel));
      }
    }
  }
}

COHORT_TEST(fused_ops_refuse_bad_shapes) {
  REQUIRE_THROWS_AS(cohort::fused_swiglu(at::zeros({2, 3})), c10::Error);
  const auto [cos_TE, sin_TE] = cohort::rope_tables(4, 8, 10000.0, at::kCPU);
  REQUIRE_THROWS_AS(cohort::fused_rope_qkv(at::zeros({1, 3, 31}), cos_TE, sin_TE, 2, 1, 8), c10::Error);  // X != 32
  REQUIRE_THROWS_AS(cohort::fused_rope_qkv(at::zeros({1, 5, 32}), cos_TE, sin_TE, 2, 1, 8), c10::Error);  // T > table
  REQUIRE_THROWS_AS(cohort::fused_rms_norm(at::zeros({2, 8}), at::ones({7}), 1e-5), c10::Error);
  REQUIRE_THROWS_AS(cohort::fused_cross_entropy(at::zeros({2, 8}), at::zeros({3}, at::kLong), -100), c10::Error);
  REQUIRE_THROWS_AS(cohort::fused_cross_entropy(at::zeros({2, 8}), at::zeros({2}, at::kInt), -100), c10::Error);
  REQUIRE_THROWS_AS(cohort::fused_rms_norm(at::zeros({2, 8}), at::ones({8}, at::kDouble), 1e-5), c10::Error);  // dtype
  REQUIRE(cohort::fused_ops_supported(at::kCPU, at::kBFloat16));
  REQUIRE(!cohort::fused_ops_supported(at::kCPU, at::kHalf));
  // A CPU-only libtorch (CI's): the model stays on the eager chains for a CUDA placement, whatever was built.
  if (!at::hasCUDA()) REQUIRE(!cohort::fused_ops_supported(at::Device(at::kCUDA), at::kBFloat16));
}

int main() { return cohort::test::run_all(); }
