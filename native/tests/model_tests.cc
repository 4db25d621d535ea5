// LLaMA model tests: gradients against finite differences, deterministic init, causality, RoPE convention,
// parameter counts, and refusal of bad input. Shape legend: B batch, T sequence, V vocab.
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <string>

#include "cohort/errors.h"
#include "cohort/model.h"
#include "core/rope.h"
#include "test_harness.h"
#include "test_models.h"

namespace {

cohort::ModelConfig tiny(bool tied = true) {
  cohort::ModelConfig c = cohort::test::tiny_config({17, 8, 2, 1, 12, 8});
  c.tied_embeddings = tied;
  c.init_std = 0.3;  // large enough that every path carries gradient signal in the check
  return c;
}

at::Tensor tokens(int64_t B, int64_t T, int64_t V, uint64_t seed) { return cohort::test::random_tokens(B, T, V, seed); }

bool bit_equal(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!at::equal(a[i], b[i])) return false;
  }
  return true;
}

}  // namespace

// The gradient check: autograd vs central differences on a tiny fp64 model, relative error < 1e-3.
COHORT_TEST(gradients_match_finite_differences) {
  for (const bool tied : {true, false}) {
    const cohort::ModelPlacement f64{at::kCPU, at::kDouble, at::kDouble};
    cohort::LlamaModel model(tiny(tied), 7, f64);
    const at::Tensor batch_BT = tokens(2, 6, 17, 3);
    model.loss(batch_BT).backward();
    c10::NoGradGuard no_grad;
    double worst = 0;
    int checked = 0;
    for (size_t i = 0; i < model.parameters().size(); ++i) {
      at::Tensor p = model.parameters()[i];
      const at::Tensor flat = p.view({-1});
      const at::Tensor grad = p.grad().reshape({-1});
      for (const int64_t j : {int64_t{0}, flat.numel() / 2, flat.numel() - 1}) {
        const double original = flat[j].item<double>();
        const double h = 1e-5;
        flat[j] = original + h;
        const double up = model.loss(batch_BT).item<double>();
        flat[j] = original - h;
        const double down = model.loss(batch_BT).item<double>();
        flat[j] = original;
        const double numeric = (up - down) / (2 * h);
        const double analytic = grad[j].item<double>();
        const double rel = std::abs(numeric - analytic) / std::max(1e-8, std::abs(numeric) + std::abs(analytic));
        worst = std::max(worst, rel);
        ++checked;
        if (rel >= 1e-3) {
          cohort::test::fail(__FILE__, __LINE__, model.specs()[i].name + "[" + std::to_string(j) + "]: autograd " +
                                                     std::to_string(analytic) + " vs numeric " + std::to_string(numeric));
        }
      }
    }
    std::printf("  gradient check (%s): %d coordinates, worst relative error %.2e\n", tied ? "tied" : "untied", checked, worst);
  }
}

COHORT_TEST(same_seed_same_parameters_different_seed_different) {
  const cohort::LlamaModel a(tiny(), 42), b(tiny(), 42), c(tiny(), 43);
  REQUIRE(bit_equal(a.parameters(), b.parameters()));
  REQUIRE(!at::equal(a.parameters()[1 + 1], c.parameters()[1 + 1]));
}

COHORT_TEST(later_tokens_never_change_earlier_logits) {
  const cohort::LlamaModel model(tiny(), 1);
  c10::NoGradGuard no_grad;
  at::Tensor x_BT = tokens(1, 8, 17, 5);
  const at::Tensor before = model.logits(x_BT);
  x_BT.index_put_({0, 5}, (x_BT[0][5].item<int64_t>() + 1) % 17);
  const at::Tensor after = model.logits(x_BT);
  REQUIRE(at::equal(before.narrow(1, 0, 5), after.narrow(1, 0, 5)));
  REQUIRE(!at::equal(before.narrow(1, 5, 3), after.narrow(1, 5, 3)));
}

COHORT_TEST(rope_rotates_halves_like_transformers) {
  const auto [cos_TE, sin_TE] = cohort::rope_tables(4, 4, 10000.0, at::kCPU);
  const at::Tensor x_BHTE = at::arange(1, 17, at::kFloat).view({1, 1, 4, 4});
  const at::Tensor y = cohort::apply_rope(x_BHTE, cos_TE, sin_TE);
  // Position 2, pair (0, 2) rotates by angle 2·θ^0 = 2; pair (1, 3) by 2·θ^(-1/2) = 0.02.
  const double a = 2.0, b = 2.0 / 100.0;
  const double x0 = 9, x1 = 10, x2 = 11, x3 = 12;
  REQUIRE_NEAR(y[0][0][2][0].item<double>(), x0 * std::cos(a) - x2 * std::sin(a), 1e-5);
  REQUIRE_NEAR(y[0][0][2][2].item<double>(), x2 * std::cos(a) + x0 * std::sin(a), 1e-5);
  REQUIRE_NEAR(y[0][0][2][1].item<double>(), x1 * std::cos(b) - x3 * std::sin(b), 1e-5);
  REQUIRE_NEAR(y[0][0][2][3].item<double>(), x3 * std::cos(b) + x1 * std::sin(b), 1e-5);
}

COHORT_TEST(parameter_counts_follow_the_shapes) {
  const cohort::ModelConfig c = cohort::preset_config("devnet");
  const int64_t kv = c.n_kv_heads * c.head_dim();
  const int64_t per_layer = 2 * c.dim + 2 * c.dim * c.dim + 2 * kv * c.dim + 3 * c.dim * c.ffn_dim;
  REQUIRE_EQ(cohort::parameter_count(c), c.vocab_size * c.dim + c.n_layers * per_layer + c.dim);
  const cohort::LlamaModel model(c, 0);
  int64_t total = 0;
  for (const auto& p : model.parameters()) total += p.numel();
  REQUIRE_EQ(total, cohort::parameter_count(c));
  // The large presets land where their names say (GPT-2 vocabulary).
  const double p150 = static_cast<double>(cohort::parameter_count(cohort::preset_config("150M")));
  const double p1b = static_cast<double>(cohort::parameter_count(cohort::preset_config("1B")));
  const double p70b = static_cast<double>(cohort::parameter_count(cohort::preset_config("70B")));
  REQUIRE(p150 > 1.5e8 && p150 < 2.5e8);
  REQUIRE(p1b > 1.0e9 && p1b < 1.4e9);
  REQUIRE(p70b > 6.8e10 && p70b < 7.2e10);
}

COHORT_TEST(bad_tokens_and_presets_are_refused) {
  const cohort::LlamaModel model(tiny(), 1);
  REQUIRE_THROWS_AS(model.loss(at::full({1, 4}, 17, at::kLong)), cohort::InvalidArgumentError);
  REQUIRE_THROWS_AS(model.loss(at::full({1, 4}, -1, at::kLong)), cohort::InvalidArgumentError);
  REQUIRE_THROWS_AS(model.loss(at::zeros({1, 4}, at::kInt)), cohort::InvalidArgumentError);
  REQUIRE_THROWS_AS(model.loss(at::zeros({1, 9}, at::kLong)), cohort::InvalidArgumentError);
  REQUIRE_THROWS_AS(model.loss(at::zeros({4}, at::kLong)), cohort::InvalidArgumentError);
  REQUIRE_THROWS_AS(cohort::preset_config("13B"), cohort::InvalidArgumentError);
  cohort::ModelConfig odd = tiny();
  odd.n_kv_heads = 3;
  REQUIRE_THROWS_AS(cohort::LlamaModel(odd, 1), cohort::InvalidArgumentError);
}

int main() { return cohort::test::run_all(); }
