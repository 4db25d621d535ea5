// Per-environment state of the addon (constructors, live engine threads), kept as N-API instance data so
// worker threads and multiple environments never share JS handles. At environment teardown every engine
// thread still running is stopped and joined.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

namespace cohort::addon {

class EngineThread;

struct AddonInstance {
  Napi::FunctionReference dataset_constructor;
  Napi::FunctionReference engine_constructor;
  std::vector<std::weak_ptr<EngineThread>> threads;
  // Track a new engine thread (dropping entries of engines already gone, so the list stays bounded).
  void register_thread(const std::shared_ptr<EngineThread>& thread);
  ~AddonInstance();  // stops and joins every live engine thread
};

// This environment's instance data; created by the module's init.
AddonInstance& instance(Napi::Env env);

}  // namespace cohort::addon
