// Trainer config validation and the learning-rate schedule (see include/cohort/trainer.h).
#include <cmath>
#include <string>

#include "cohort/errors.h"
#include "cohort/trainer.h"

namespace cohort {

void validate_trainer_config(const TrainerConfig& c) {
  auto fail = [](const std::string& what) { throw InvalidArgumentError("invalid trainer config: " + what); };
  if (!(c.lr > 0) || !std::isfinite(c.lr)) fail("lr must be a positive finite number");
  if (!(c.beta1 >= 0 && c.beta1 < 1) || !(c.beta2 >= 0 && c.beta2 < 1)) fail("betas must be in [0, 1)");
  if (!(c.eps > 0)) fail("eps must be positive");
  if (!(c.weight_decay >= 0)) fail("weight_decay must be >= 0");
  if (c.warmup_steps < 0 || c.total_steps < 1) fail("warmup_steps must be >= 0 and total_steps >= 1");
  if (!(c.min_lr_ratio >= 0 && c.min_lr_ratio <= 1)) fail("min_lr_ratio must be in [0, 1]");
  if (!std::isfinite(c.grad_clip)) fail("grad_clip must be finite");
  if (c.micro_batch_size < 1) fail("micro_batch_size must be >= 1");
}

double scheduled_lr(const TrainerConfig& c, int64_t step) {
  if (step < c.warmup_steps) return c.lr * static_cast<double>(step + 1) / static_cast<double>(c.warmup_steps);
  const int64_t decay_steps = c.total_steps - c.warmup_steps;
  if (decay_steps <= 0 || step >= c.total_steps) return c.lr * c.min_lr_ratio;
  const double progress = static_cast<double>(step - c.warmup_steps) / static_cast<double>(decay_steps);
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * progress));
  return c.lr * (c.min_lr_ratio + (1.0 - c.min_lr_ratio) * cosine);
}

}  // namespace cohort
