// createEngine() options (see AddonEngineOptions.h).
#include "addon/AddonEngineOptions.h"

#include "addon/AddonArgs.h"
#include "cohort/errors.h"
#include "cohort/sparseloco.h"

namespace cohort::addon {

EngineOptions read_engine_options(const Napi::Value& value) {
  const Napi::Object o = object_value(value, "options");
  EngineOptions out;
  out.model = preset_config(string_value(o.Get("preset"), "options.preset"));
  const int64_t seed = integer_value(o.Get("seed"), "options.seed");
  if (seed < 0) throw InvalidArgumentError(expected_message("a non-negative integer", "options.seed", std::to_string(seed)));
  out.seed = static_cast<uint64_t>(seed);
  const std::string device = string_value(o.Get("device"), "options.device");
  if (device != "cpu" && device != "cuda") throw InvalidArgumentError(expected_message("\"cpu\" or \"cuda\"", "options.device", device));
  const std::string dtype = string_value(o.Get("computeDtype"), "options.computeDtype");
  if (dtype != "fp32" && dtype != "bf16") throw InvalidArgumentError(expected_message("\"fp32\" or \"bf16\"", "options.computeDtype", dtype));
  out.placement = {device == "cuda" ? at::Device(at::kCUDA) : at::Device(at::kCPU), at::kFloat,
                   dtype == "bf16" ? at::kBFloat16 : at::kFloat};
  out.placement.fused_ops = boolean_value(o.Get("fusedOps"), "options.fusedOps");
  out.device_encode = boolean_value(o.Get("deviceEncode"), "options.deviceEncode");
  const int64_t threads = integer_value(o.Get("threads"), "options.threads");
  if (threads < 0 || threads > 1024) throw InvalidArgumentError(expected_message("an integer in [0, 1024]", "options.threads", std::to_string(threads)));
  out.threads = static_cast<int>(threads);

  const Napi::Object t = object_value(o.Get("trainer"), "options.trainer");
  out.trainer.lr = number_value(t.Get("lr"), "options.trainer.lr");
  out.trainer.beta1 = number_value(t.Get("beta1"), "options.trainer.beta1");
  out.trainer.beta2 = number_value(t.Get("beta2"), "options.trainer.beta2");
  out.trainer.eps = number_value(t.Get("eps"), "options.trainer.eps");
  out.trainer.weight_decay = number_value(t.Get("weightDecay"), "options.trainer.weightDecay");
  out.trainer.warmup_steps = integer_value(t.Get("warmupSteps"), "options.trainer.warmupSteps");
  out.trainer.total_steps = integer_value(t.Get("totalSteps"), "options.trainer.totalSteps");
  out.trainer.min_lr_ratio = number_value(t.Get("minLrRatio"), "options.trainer.minLrRatio");
  out.trainer.grad_clip = number_value(t.Get("gradClip"), "options.trainer.gradClip");
  out.trainer.micro_batch_size = integer_value(t.Get("microBatchSize"), "options.trainer.microBatchSize");
  validate_trainer_config(out.trainer);
  return out;
}

at::Device error_feedback_device(const EngineOptions& options) {
  const at::Device device = options.placement.device;
  return options.device_encode && device_encode_supported(device) ? device : at::Device(at::kCPU);
}

}  // namespace cohort::addon
