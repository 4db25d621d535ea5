// Inner training of one replica and the outer-step primitives SparseLoCo needs: AdamW with linear warm-up and
// cosine decay, global-norm gradient clipping, gradient accumulation over micro-batches, a snapshot of θ at the
// window start, the pseudo-gradient Δ = θ_start − θ (restoring θ_start), and θ ← θ − α·Δ for an aggregate.
// Same seed + same data + same hardware and thread count ⇒ bit-identical parameters.
//
// Two step counters, deliberately separate (docs/engine.md, "The learning-rate schedule"):
// - the schedule step: the position on the learning-rate schedule of the next optimizer step. The run decides
//   it (window × inner steps, set before each window's training with set_schedule_step), so every replica of a
//   run trains a window at the same rate whatever it did before: a newcomer, a restarted worker, one whose
//   earlier windows were cancelled. Without a set it advances by one per step from 0.
// - the optimizer steps: AdamW updates this trainer applied to its own moments, for bias correction. The
//   moments start at zero when the trainer is made, so the correction counts those updates, not the run's.
//
// Shape legend: N sequences, B batch, T sequence length.
#pragma once

#include <ATen/ATen.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "cohort/model.h"
#include "cohort/adamw.h"

namespace cohort {

// Inner optimizer and schedule (protocol §3 production defaults).
struct TrainerConfig {
  double lr = 1.3e-4;
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double weight_decay = 0.1;    // decoupled, on 2-D weights only (not norm scales)
  int64_t warmup_steps = 1500;  // linear from 0 to lr
  int64_t total_steps = 140000; // cosine from lr down to min_lr_ratio·lr at this step, flat after
  double min_lr_ratio = 0.1;
  double grad_clip = 1.0;       // max global L2 norm; <= 0 disables
  int64_t micro_batch_size = 8; // sequences per forward/backward (gradient accumulation over a step)
};

// Throws InvalidArgumentError for unusable values (non-positive lr, betas outside [0, 1), ...).
void validate_trainer_config(const TrainerConfig& config);

// Learning rate at schedule step `step` (0-based): lr·(step + 1)/warmup_steps during the warm-up, then
// cosine from lr to min_lr_ratio·lr at total_steps, flat after.
double scheduled_lr(const TrainerConfig& config, int64_t step);

// What one inner run did.
struct InnerResult {
  std::vector<double> losses;   // mean loss of each optimizer step
  std::vector<double> grad_norms;  // global gradient norm before clipping, per step
  std::vector<double> learning_rates;  // the scheduled learning rate each step used
  int64_t tokens = 0;
  double seconds = 0;
  double tokens_per_second = 0;
  bool cancelled = false;       // stopped early by the cancel flag (losses holds the steps done)
};

class Trainer {
 public:
  Trainer(LlamaModel& model, const TrainerConfig& config);

  // One optimizer step on tokens_BT (micro-batched) at the learning rate of the schedule step, which then
  // advances by one, as do the optimizer steps. Returns {mean loss, grad norm before clipping}.
  std::pair<double, double> step(const at::Tensor& tokens_BT);

  // `steps` optimizer steps over tokens_NT split into equal consecutive batches (N divisible by steps).
  // Checks `cancel` between steps; a step that did not run moves neither counter.
  InnerResult train_inner(const at::Tensor& tokens_NT, int64_t steps, const std::atomic<bool>* cancel = nullptr);

  // Put the schedule at `schedule_step` (>= 0, else InvalidArgumentError): the next optimizer step uses
  // scheduled_lr(config, schedule_step). The optimizer's moments and its bias-correction count are untouched.
  void set_schedule_step(int64_t schedule_step);

  // Mean next-token loss over tokens_NT, without gradients, `micro_batch` sequences at a time.
  double eval_loss(const at::Tensor& tokens_NT, int64_t micro_batch) const;

  // Remember θ as the window's starting point θ_start.
  void snapshot();
  bool has_snapshot() const { return !start_.empty(); }
  // Δ = θ_start − θ per parameter (master dtype, same device), then θ ← θ_start. Requires a snapshot.
  std::vector<at::Tensor> pseudo_gradient();
  // θ ← θ_start without computing Δ: the way back after a measurement or a cancelled window, with no
  // model-sized allocation (pseudo_gradient makes one on the device, and the dense export three on the
  // host). Requires a snapshot; the snapshot is kept.
  void restore_snapshot();
  // θ ← θ − α·Δ (Δ in parameter order, any float dtype; moved to the parameters' device).
  void apply_update(const std::vector<at::Tensor>& delta, double alpha);

  // The schedule step of the next optimizer step.
  int64_t schedule_step() const { return schedule_step_; }
  // AdamW updates applied to this trainer's moments since it was made (the bias-correction count).
  int64_t optimizer_steps() const { return optimizer_steps_; }
  const TrainerConfig& config() const { return config_; }

 private:
  LlamaModel& model_;
  TrainerConfig config_;
  // AdamW state in two groups: 2-D weights (decayed) and norm scales (not decayed), in parameter order.
  std::vector<AdamWGroup> groups_;
  std::vector<at::Tensor> start_;       // θ_start
  int64_t schedule_step_ = 0;           // learning-rate position of the next step (see the file comment)
  int64_t optimizer_steps_ = 0;         // AdamW updates of the moments, for bias correction
};

}  // namespace cohort
