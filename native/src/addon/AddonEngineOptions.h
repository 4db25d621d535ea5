// Reading createEngine()'s options object into engine configs. TS fills every field and validates first
// (ts/engine.ts); these readers are the backstop and throw InvalidArgumentError naming the field.
#pragma once

#include <napi.h>

#include "cohort/model.h"
#include "cohort/trainer.h"

namespace cohort::addon {

struct EngineOptions {
  ModelConfig model;
  ModelPlacement placement;
  TrainerConfig trainer;
  uint64_t seed = 0;
  int threads = 0;  // libtorch intra-op threads; 0 keeps libtorch's default
  // Keep the error feedback on the model's CUDA device and encode there (ErrorFeedback's device mode),
  // where device_encode_supported(); otherwise it lives on the host.
  bool device_encode = false;
};

// Where this engine's error feedback lives: the model's device when device_encode is asked for and
// supported there, else the CPU.
at::Device error_feedback_device(const EngineOptions& options);

EngineOptions read_engine_options(const Napi::Value& value);

}  // namespace cohort::addon
