// Per-environment addon state (see AddonInstance.h).
#include "addon/AddonInstance.h"

#include <algorithm>

#include "addon/EngineThread.h"

namespace cohort::addon {

void AddonInstance::register_thread(const std::shared_ptr<EngineThread>& thread) {
  threads.erase(std::remove_if(threads.begin(), threads.end(), [](const std::weak_ptr<EngineThread>& weak) { return weak.expired(); }),
                threads.end());
  threads.push_back(thread);
}

AddonInstance::~AddonInstance() {
  for (const auto& weak : threads) {
    if (const auto thread = weak.lock()) thread->stop();
  }
}

AddonInstance& instance(Napi::Env env) { return *env.GetInstanceData<AddonInstance>(); }

}  // namespace cohort::addon
