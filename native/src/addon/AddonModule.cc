// The addon's entry: registers the exports. Names match the C++ API 1:1 in camelCase (add_scaled →
// addScaled). Loaded only by @cohort/native (ts/addon.ts).
#include <napi.h>

#include "addon/AddonAddScaledWorker.h"
#include "addon/AddonBuildInfo.h"

namespace {

// Unqualified: NODE_API_MODULE pastes this name into a helper's identifier.
Napi::Object InitCohortNative(Napi::Env env, Napi::Object exports) {
  exports.Set("addScaled", Napi::Function::New(env, cohort::addon::AddonAddScaledWorker::Start, "addScaled"));
  exports.Set("buildInfo", Napi::Function::New(env, cohort::addon::AddonBuildInfo, "buildInfo"));
  return exports;
}

}  // namespace

NODE_API_MODULE(cohort_native, InitCohortNative)
