// Per-environment addon state (see AddonInstance.h).
#include "addon/AddonInstance.h"

#include "addon/EngineThread.h"

namespace cohort::addon {

AddonInstance::~AddonInstance() {
  for (const auto& weak : threads) {
    if (const auto thread = weak.lock()) thread->stop();
  }
}

AddonInstance& instance(Napi::Env env) { return *env.GetInstanceData<AddonInstance>(); }

}  // namespace cohort::addon
