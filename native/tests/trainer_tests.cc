// Trainer tests: the schedule (set from the run's position, apart from AdamW's bias correction), learning on a
// fixed batch, bit-identical reruns, the pseudo-gradient and outer update algebra, cancellation, and config
// validation. Shape legend: N sequences, T sequence length.
#include <ATen/ATen.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include <c10/core/GradMode.h>

#include "cohort/errors.h"
#include "cohort/state_fingerprint.h"
#include "cohort/trainer.h"
#include "test_files.h"
#include "test_harness.h"
#include "test_models.h"

namespace {

cohort::ModelConfig tiny() { return cohort::test::tiny_config({32, 16, 4, 2, 32, 16}); }

cohort::TrainerConfig fast() { return cohort::test::fast_trainer(1e-2, 2); }

at::Tensor tokens(int64_t N, int64_t T, uint64_t seed) { return cohort::test::random_tokens(N, T, 32, seed); }

// Protocol §3's schedule on a tiny model: lr 1.3e-4, warm-up 1500, cosine to 0.1× at 140,000.
cohort::TrainerConfig protocol_schedule() {
  cohort::TrainerConfig c = fast();
  c.lr = 1.3e-4;
  c.warmup_steps = 1500;
  c.total_steps = 140000;
  c.min_lr_ratio = 0.1;
  return c;
}

// The schedule written out independently of scheduled_lr: linear warm-up to lr over `warmup_steps` steps
// (step s at (s + 1)/warmup), then half a cosine period from lr down to the floor at total_steps, flat after.
double closed_form_lr(const cohort::TrainerConfig& c, int64_t s) {
  if (s < c.warmup_steps) return c.lr * static_cast<double>(s + 1) / static_cast<double>(c.warmup_steps);
  const double floor = c.min_lr_ratio * c.lr;
  if (s >= c.total_steps) return floor;
  const double t = static_cast<double>(s - c.warmup_steps) / static_cast<double>(c.total_steps - c.warmup_steps);
  return floor + (c.lr - floor) * (1.0 + std::cos(3.14159265358979323846 * t)) / 2.0;
}

std::vector<at::Tensor> clone_parameters(const cohort::LlamaModel& model) {
  std::vector<at::Tensor> out;
  for (const auto& p : model.parameters()) out.push_back(p.detach().clone());
  return out;
}

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
  REQUIRE_EQ(trainer.schedule_step(), int64_t{40});  // never set: the schedule counts the steps from 0
  REQUIRE_EQ(trainer.optimizer_steps(), int64_t{40});
}

COHORT_TEST(the_rate_at_a_set_schedule_step_is_the_closed_form_warm_up_then_cosine_to_the_floor) {
  cohort::LlamaModel model(tiny(), 6);
  const cohort::TrainerConfig c = protocol_schedule();
  cohort::Trainer trainer(model, c);
  const at::Tensor data_NT = tokens(4, 12, 6);
  // Windows of 30 inner steps: in the warm-up, the first, late in the warm-up, the peak, mid-decay, the last
  // before total_steps, the first after it, and far beyond. Set out of order: only the set step counts.
  for (const int64_t window : {int64_t{10}, int64_t{0}, int64_t{49}, int64_t{50}, int64_t{2000}, int64_t{4666}, int64_t{4667},
                               int64_t{100000}}) {
    const int64_t first = window * 30;
    trainer.set_schedule_step(first);
    const cohort::InnerResult r = trainer.train_inner(data_NT, 2);
    REQUIRE_EQ(r.learning_rates.size(), size_t{2});
    for (int64_t s = 0; s < 2; ++s) {
      const double expected = closed_form_lr(c, first + s);
      REQUIRE_NEAR(r.learning_rates[static_cast<size_t>(s)], expected, 1e-12 * c.lr);
      REQUIRE_NEAR(cohort::scheduled_lr(c, first + s), expected, 1e-12 * c.lr);
    }
    REQUIRE_EQ(trainer.schedule_step(), first + 2);
  }
  REQUIRE_EQ(trainer.optimizer_steps(), int64_t{16});  // every step ran, whatever the schedule said
  // Spot values: window 10 trains at 301/1500 of lr, not at 1/1500 as a counter from 0 would.
  REQUIRE_NEAR(closed_form_lr(c, 300), 1.3e-4 * 301.0 / 1500.0, 1e-18);
  REQUIRE_NEAR(closed_form_lr(c, 1499), 1.3e-4, 1e-18);
  REQUIRE_NEAR(closed_form_lr(c, 1500 + 138500 / 2), 1.3e-4 * 0.55, 1e-16);
  REQUIRE_NEAR(closed_form_lr(c, 140000), 1.3e-5, 1e-18);
  REQUIRE_INVALID(trainer.set_schedule_step(-1), "schedule step");
  REQUIRE_EQ(trainer.schedule_step(), int64_t{100000 * 30 + 2});
}

COHORT_TEST(a_window_trains_the_same_after_other_windows_as_on_a_fresh_trainer) {
  // β1 = β2 = 0: AdamW without memory (each update is lr·g/(|g| + eps) plus weight decay), so the history of
  // the moments cannot hide what the schedule does: same θ, same data and the same schedule step must give
  // the same bits. Before the schedule followed the run, the experienced trainer used another rate.
  cohort::TrainerConfig c = protocol_schedule();
  c.lr = 1e-2;
  c.beta1 = 0;
  c.beta2 = 0;
  cohort::LlamaModel fresh_model(tiny(), 7), used_model(tiny(), 7);
  cohort::Trainer fresh(fresh_model, c), used(used_model, c);
  used.snapshot();
  used.set_schedule_step(30);
  used.train_inner(tokens(6, 12, 70), 3);  // other windows' data
  used.train_inner(tokens(4, 12, 71), 2);  // a later window, left unfinished: θ goes back to θ_w
  used.restore_snapshot();

  const at::Tensor window_NT = tokens(8, 12, 72);
  const int64_t window = 40;
  fresh.set_schedule_step(window * 30);
  used.set_schedule_step(window * 30);
  const cohort::InnerResult rf = fresh.train_inner(window_NT, 4);
  const cohort::InnerResult ru = used.train_inner(window_NT, 4);
  REQUIRE(rf.learning_rates == ru.learning_rates);
  REQUIRE(rf.losses == ru.losses);
  for (size_t i = 0; i < fresh_model.parameters().size(); ++i) {
    REQUIRE(at::equal(fresh_model.parameters()[i], used_model.parameters()[i]));
  }
  REQUIRE_EQ(fresh.optimizer_steps(), int64_t{4});
  REQUIRE_EQ(used.optimizer_steps(), int64_t{9});

  // The control: the same window at the position a fresh counter would have had moves θ elsewhere.
  cohort::LlamaModel counted_model(tiny(), 7);
  cohort::Trainer counted(counted_model, c);
  const cohort::InnerResult rc = counted.train_inner(window_NT, 4);
  REQUIRE(rc.learning_rates != rf.learning_rates);
  REQUIRE(!at::equal(counted_model.parameters()[0], fresh_model.parameters()[0]));
}

COHORT_TEST(bias_correction_counts_the_trainers_own_updates_not_the_schedule_step) {
  // A newcomer's moments start at zero: its first update must be bias-corrected as a first update
  // (m̂ = g, v̂ = g², so each coordinate moves by about lr), not as update 300,001 of the run (which would move
  // it by (1 − β1)/√(1 − β2) ≈ 0.45 of that).
  cohort::TrainerConfig c = protocol_schedule();
  c.lr = 1e-2;  // large enough that one fp32 rounding of a parameter near 1 is far below 1% of the step
  c.weight_decay = 0;
  c.grad_clip = 0;
  cohort::LlamaModel model(tiny(), 9);
  cohort::Trainer trainer(model, c);
  const std::vector<at::Tensor> before = clone_parameters(model);
  trainer.set_schedule_step(10000 * 30);
  const cohort::InnerResult r = trainer.train_inner(tokens(4, 12, 9), 1);
  const double lr = closed_form_lr(c, 10000 * 30);
  REQUIRE_NEAR(r.learning_rates[0], lr, 1e-12 * c.lr);
  double largest = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    largest = std::max(largest, (model.parameters()[i] - before[i]).abs().max().item<double>());
  }
  REQUIRE(largest > 0.99 * lr);
  REQUIRE(largest < 1.01 * lr);
  REQUIRE_EQ(trainer.optimizer_steps(), int64_t{1});
  REQUIRE_EQ(trainer.schedule_step(), int64_t{10000 * 30 + 1});
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
  REQUIRE(result.learning_rates.empty());
  REQUIRE_EQ(trainer.schedule_step(), int64_t{0});  // a step that did not run moves neither counter
  REQUIRE_EQ(trainer.optimizer_steps(), int64_t{0});
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
