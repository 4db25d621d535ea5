// Inner training and outer-step primitives (see include/cohort/trainer.h).
// Shape legend: N sequences, B batch, T sequence length.
#include <c10/core/GradMode.h>

#include "cohort/trainer.h"

#include <chrono>
#include <cmath>
#include <string>

#include "cohort/errors.h"

namespace cohort {

Trainer::Trainer(LlamaModel& model, const TrainerConfig& config) : model_(model), config_(config) {
  validate_trainer_config(config_);
  c10::NoGradGuard no_grad;
  groups_.resize(2);
  groups_[0].weight_decay = config_.weight_decay;
  for (const auto& p : model_.parameters()) {
    AdamWGroup& group = groups_[p.dim() >= 2 ? 0 : 1];
    group.params.push_back(p);
    group.exp_avg.push_back(at::zeros_like(p));
    group.exp_avg_sq.push_back(at::zeros_like(p));
    group.state_steps.push_back(at::zeros({}, p.options().dtype(at::kFloat)));
  }
}

std::pair<double, double> Trainer::step(const at::Tensor& tokens_BT) {
  const auto& params = model_.parameters();
  const int64_t B = tokens_BT.size(0);
  const int64_t micro = std::min<int64_t>(config_.micro_batch_size, B);
  at::Tensor loss_sum = at::zeros({}, at::TensorOptions().dtype(at::kDouble).device(model_.placement().device));
  for (int64_t begin = 0; begin < B; begin += micro) {
    const int64_t n = std::min(micro, B - begin);
    const at::Tensor loss = model_.loss(tokens_BT.narrow(0, begin, n));
    // Weight each micro-batch by its share of the batch so the gradient is the batch mean.
    (loss * (static_cast<double>(n) / static_cast<double>(B))).backward();
    loss_sum += loss.detach().to(at::kDouble) * static_cast<double>(n);
  }

  c10::NoGradGuard no_grad;
  std::vector<at::Tensor> norms;
  norms.reserve(params.size());
  for (const auto& p : params) norms.push_back(p.grad().to(at::kFloat).norm());
  const at::Tensor total_norm = at::stack(norms).norm();
  if (config_.grad_clip > 0) {
    const at::Tensor coef = at::clamp_max(config_.grad_clip / (total_norm + 1e-6), 1.0);
    for (const auto& p : params) p.mutable_grad().mul_(coef.to(p.scalar_type()));
  }

  // The rate from the run's schedule position; bias correction from this trainer's own update count (its
  // moments started at zero when it was made, wherever the run's schedule was then). The fused CUDA path
  // keeps that count in the groups' state_steps, advanced once per call just like optimizer_steps_.
  const AdamWStep hp{scheduled_lr(config_, schedule_step_), config_.beta1, config_.beta2, config_.eps, config_.weight_decay,
                     optimizer_steps_ + 1};
  ++schedule_step_;
  ++optimizer_steps_;
  for (AdamWGroup& group : groups_) adamw_step(group, hp);
  for (const auto& p : params) p.mutable_grad() = at::Tensor();
  return {(loss_sum / static_cast<double>(B)).item<double>(), total_norm.item<double>()};
}

InnerResult Trainer::train_inner(const at::Tensor& tokens_NT, int64_t steps, const std::atomic<bool>* cancel) {
  if (steps < 1 || tokens_NT.dim() != 2 || tokens_NT.size(0) % steps != 0 || tokens_NT.size(0) < steps) {
    throw InvalidArgumentError("Expected a [N, T] token tensor with N a positive multiple of steps=" + std::to_string(steps) +
                               " but received " + std::to_string(tokens_NT.dim() == 2 ? tokens_NT.size(0) : -1) + " sequences");
  }
  const int64_t batch = tokens_NT.size(0) / steps;
  InnerResult result;
  const auto started = std::chrono::steady_clock::now();
  for (int64_t s = 0; s < steps; ++s) {
    if (cancel != nullptr && cancel->load()) {
      result.cancelled = true;
      break;
    }
    const double lr = scheduled_lr(config_, schedule_step_);
    const auto [loss, norm] = step(tokens_NT.narrow(0, s * batch, batch));
    result.learning_rates.push_back(lr);
    result.losses.push_back(loss);
    result.grad_norms.push_back(norm);
    result.tokens += batch * tokens_NT.size(1);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  result.tokens_per_second = result.seconds > 0 ? static_cast<double>(result.tokens) / result.seconds : 0;
  return result;
}

void Trainer::set_schedule_step(int64_t schedule_step) {
  if (schedule_step < 0) {
    throw InvalidArgumentError(expected_message("an integer >= 0", "the schedule step", std::to_string(schedule_step)));
  }
  schedule_step_ = schedule_step;
}

double Trainer::eval_loss(const at::Tensor& tokens_NT, int64_t micro_batch) const {
  if (micro_batch < 1) throw InvalidArgumentError("Expected micro_batch >= 1 for eval_loss but received " + std::to_string(micro_batch));
  c10::NoGradGuard no_grad;
  const int64_t N = tokens_NT.size(0);
  double sum = 0;
  for (int64_t begin = 0; begin < N; begin += micro_batch) {
    const int64_t n = std::min(micro_batch, N - begin);
    sum += model_.loss(tokens_NT.narrow(0, begin, n)).item<double>() * static_cast<double>(n);
  }
  return sum / static_cast<double>(N);
}

void Trainer::snapshot() {
  c10::NoGradGuard no_grad;
  start_.clear();
  for (const auto& p : model_.parameters()) start_.push_back(p.detach().clone());
}

std::vector<at::Tensor> Trainer::pseudo_gradient() {
  if (start_.empty()) throw IllegalStateError("pseudo_gradient needs a snapshot() of θ_start first");
  c10::NoGradGuard no_grad;
  std::vector<at::Tensor> delta;
  const auto& params = model_.parameters();
  for (size_t i = 0; i < params.size(); ++i) delta.push_back(start_[i] - params[i]);
  restore_snapshot();
  return delta;
}

void Trainer::restore_snapshot() {
  if (start_.empty()) throw IllegalStateError("restore_snapshot needs a snapshot() of θ_start first");
  c10::NoGradGuard no_grad;
  const auto& params = model_.parameters();
  for (size_t i = 0; i < params.size(); ++i) params[i].copy_(start_[i]);
}

void Trainer::apply_update(const std::vector<at::Tensor>& delta, double alpha) {
  const auto& params = model_.parameters();
  if (delta.size() != params.size()) {
    throw InvalidArgumentError("Expected " + std::to_string(params.size()) + " update tensors but received " + std::to_string(delta.size()));
  }
  if (!std::isfinite(alpha)) throw InvalidArgumentError("Expected a finite outer learning rate but received " + std::to_string(alpha));
  for (size_t i = 0; i < params.size(); ++i) {
    if (delta[i].sizes() != params[i].sizes()) {
      throw InvalidArgumentError("Expected the shape of " + model_.specs()[i].name + " for update tensor " + std::to_string(i));
    }
  }
  c10::NoGradGuard no_grad;
  for (size_t i = 0; i < params.size(); ++i) {
    params[i].sub_(delta[i].to(params[i].device(), params[i].scalar_type()), alpha);
  }
}

}  // namespace cohort
