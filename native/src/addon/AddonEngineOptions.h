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
};

EngineOptions read_engine_options(const Napi::Value& value);

}  // namespace cohort::addon
