// Trainer tests: the schedule, learning on a fixed batch, bit-identical reruns, the pseudo-gradient and outer
// update algebra, cancellation, and config validation. Shape legend: N sequences, T sequence length.
#include <ATen/ATen.h>

#include <atomic>
#include <cmath>

#include <c10/core/GradMode.h>

#include "cohort/errors.h"
#include "cohort/state_fingerprint.h"
#include "cohort/trainer.h"
#include "test_harness.h"
#include "test_models.h"

namespace {

cohort::ModelConfig tiny() { return cohort::test::tiny_config({32, 16, 4, 2, 32, 16}); }

cohort::TrainerConfig fast() { return cohort::test::fast_trainer(1e-2, 2); }

at::Tensor tokens(int64_t N, int64_t T, uint64_t seed) { return cohort::test::random_tokens(N, T, 32, seed); }

}  // namespace

COHORT_TEST(schedule_warms_up_linearly_then_decays_by_cosine_to_the_floor) {
  cohort::TrainerConfig c;
  c.lr = 1.0;
  c.warmup_steps = 10;
  c.total_steps = 110;
  c.min_lr_ratio = 0.1;
  REQUIRE_NEAR(cohort::scheduled_lr(c, 0), 0.1, 1e-12);
  REQUIRE_NEAR(cohort::scheduled_lr(c, 9), 1.0, 1e-12);
  REQUIRE_NEAR(cohort::scheduled_lr(c, 10), 1.0, 1e-12);
  REQUIRE_NEAR(cohort::scheduled_lr(c, 60), 0.55, 1e-12);  // halfway: 0.1 + 0.9 * 0.5
  REQUIRE_NEAR(cohort::scheduled_lr(c, 110), 0.1, 1e-12);
  REQUIRE_NEAR(cohort::scheduled_lr(c, 5000), 0.1, 1e-12);
}

COHORT_TEST(training_on_a_fixed_batch_drives_its_loss_down) {
  cohort::LlamaModel model(tiny(), 1);
  cohort::Trainer trainer(model, fast());
  const at::Tensor batch_NT = tokens(4, 12, 9);
  const double before = trainer.eval_loss(batch_NT, 4);
  for (int i = 0; i < 40; ++i) trainer.step(batch_NT);
  const double after = trainer.eval_loss(batch_NT, 4);
  REQUIRE(after < 0.5 * before);
  REQUIRE_EQ(trainer.step_count(), int64_t{40});
}

COHORT_TEST(same_seed_and_data_give_bit_identical_parameters) {
  cohort::LlamaModel a(tiny(), 5), b(tiny(), 5);
  cohort::Trainer ta(a, fast()), tb(b, fast());
  const at::Tensor data_NT = tokens(12, 12, 3);
  const auto ra = ta.train_inner(data_NT, 3);
  const auto rb = tb.train_inner(data_NT, 3);
  REQUIRE(ra.losses == rb.losses);
  for (size_t i = 0; i < a.parameters().size(); ++i) REQUIRE(at::equal(a.parameters()[i], b.parameters()[i]));
  REQUIRE_EQ(ra.tokens, int64_t{12 * 12});
  REQUIRE(ra.tokens_per_second > 0);
}

COHORT_TEST(pseudo_gradient_restores_the_start_and_the_outer_step_applies_it) {
  cohort::LlamaModel model(tiny(), 2);
  cohort::Trainer trainer(model, fast());
  REQUIRE_THROWS_AS(trainer.pseudo_gradient(), cohort::IllegalStateError);
  std::vector<at::Tensor> start, end;
  trainer.snapshot();
  for (const auto& p : model.parameters()) start.push_back(p.detach().clone());
  trainer.train_inner(tokens(8, 12, 4), 4);
  for (const auto& p : model.parameters()) end.push_back(p.detach().clone());
  const std::vector<at::Tensor> delta = trainer.pseudo_gradient();
  for (size_t i = 0; i < start.size(); ++i) {
    REQUIRE(at::equal(model.parameters()[i], start[i]));      // θ is back at θ_start, exactly
    REQUIRE(at::equal(delta[i], start[i] - end[i]));           // Δ = θ_start − θ_end
  }
  trainer.apply_update(delta, 1.0);                              // θ_start − Δ ≈ θ_end (one fp32 rounding)
  for (size_t i = 0; i < start.size(); ++i) REQUIRE(at::allclose(model.parameters()[i], end[i], 0, 1e-6));
  REQUIRE_THROWS_AS(trainer.apply_update({delta[0]}, 1.0), cohort::InvalidArgumentError);
  REQUIRE_THROWS_AS(trainer.apply_update(delta, std::nan("")), cohort::InvalidArgumentError);
}

COHORT_TEST(restore_snapshot_puts_theta_start_back_and_keeps_the_snapshot) {
  cohort::LlamaModel model(tiny(), 4);
  cohort::Trainer trainer(model, fast());
  REQUIRE_THROWS_AS(trainer.restore_snapshot(), cohort::IllegalStateError);
  std::vector<at::Tensor> start;
  trainer.snapshot();
  for (const auto& p : model.parameters()) start.push_back(p.detach().clone());
  for (int round = 0; round < 2; ++round) {  // the snapshot survives a restore
    trainer.train_inner(tokens(8, 12, 5 + round), 2);
    REQUIRE(!at::equal(model.parameters()[0], start[0]));
    trainer.restore_snapshot();
    for (size_t i = 0; i < start.size(); ++i) REQUIRE(at::equal(model.parameters()[i], start[i]));
  }
}

COHORT_TEST(a_raised_cancel_flag_stops_between_steps) {
  cohort::LlamaModel model(tiny(), 3);
  cohort::Trainer trainer(model, fast());
  std::atomic<bool> cancel{true};
  const auto result = trainer.train_inner(tokens(8, 12, 1), 4, &cancel);
  REQUIRE(result.cancelled);
  REQUIRE(result.losses.empty());
  REQUIRE_EQ(trainer.step_count(), int64_t{0});
}

COHORT_TEST(unusable_configs_and_shapes_are_refused) {
  cohort::LlamaModel model(tiny(), 3);
  cohort::TrainerConfig bad = fast();
  bad.lr = -1;
  REQUIRE_THROWS_AS(cohort::Trainer(model, bad), cohort::InvalidArgumentError);
  bad = fast();
  bad.beta2 = 1.0;
  REQUIRE_THROWS_AS(cohort::Trainer(model, bad), cohort::InvalidArgumentError);
  cohort::Trainer trainer(model, fast());
  REQUIRE_THROWS_AS(trainer.train_inner(tokens(7, 12, 1), 2), cohort::InvalidArgumentError);
}

COHORT_TEST(the_state_fingerprint_tracks_every_bit_of_every_parameter) {
  cohort::LlamaModel a(tiny(), 8), b(tiny(), 8);
  const auto fa = cohort::state_fingerprint(a.specs(), a.parameters());
  REQUIRE(fa == cohort::state_fingerprint(b.specs(), b.parameters()));
  {
    c10::NoGradGuard no_grad;
    at::Tensor last = b.parameters().back();
    const float v = last.view({-1})[0].item<float>();
    last.view({-1})[0] = std::nextafter(v, 2.0f * v + 1.0f);  // one ulp
  }
  REQUIRE(fa != cohort::state_fingerprint(b.specs(), b.parameters()));
  REQUIRE_THROWS_AS(cohort::state_fingerprint(a.specs(), {}), cohort::InvalidArgumentError);
}

int main() { return cohort::test::run_all(); }
