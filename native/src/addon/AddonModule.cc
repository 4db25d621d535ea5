// The addon's entry: registers the exports. Names match the C++ API 1:1 in camelCase (add_scaled →
// addScaled). Loaded only by @cohort/native (ts/addon.ts).
#include <napi.h>

#include "addon/AddonAddScaledWorker.h"
#include "addon/AddonBuildInfo.h"
#include "addon/AddonHash.h"
#include "addon/AddonCodec.h"
#include "addon/AddonDataset.h"
#include "addon/AddonEngine.h"
#include "addon/AddonInstance.h"

namespace {

// Unqualified: NODE_API_MODULE pastes this name into a helper's identifier.
Napi::Object InitCohortNative(Napi::Env env, Napi::Object exports) {
  exports.Set("addScaled", Napi::Function::New(env, cohort::addon::AddonAddScaledWorker::Start, "addScaled"));
  exports.Set("buildInfo", Napi::Function::New(env, cohort::addon::AddonBuildInfo, "buildInfo"));
  exports.Set("cudaMemory", Napi::Function::New(env, cohort::addon::AddonCudaMemory, "cudaMemory"));
  exports.Set("blake2b256", Napi::Function::New(env, cohort::addon::AddonBlake2b256, "blake2b256"));
  exports.Set("blake2b256File", Napi::Function::New(env, cohort::addon::AddonBlake2b256File, "blake2b256File"));
  auto* data = new cohort::addon::AddonInstance();
  data->dataset_constructor = Napi::Persistent(cohort::addon::AddonDataset::Define(env));
  data->engine_constructor = Napi::Persistent(cohort::addon::AddonEngine::Define(env));
  env.SetInstanceData(data);  // deleted (engine threads stopped) at environment teardown
  exports.Set("openDataset", Napi::Function::New(env, cohort::addon::AddonDataset::Open, "openDataset"));
  exports.Set("createEngine", Napi::Function::New(env, cohort::addon::AddonEngine::Create, "createEngine"));
  exports.Set("decodeUpdate", Napi::Function::New(env, cohort::addon::DecodeUpdate, "decodeUpdate"));
  exports.Set("decodeAggregate", Napi::Function::New(env, cohort::addon::DecodeAggregate, "decodeAggregate"));
  exports.Set("aggregateUpdates", Napi::Function::New(env, cohort::addon::AggregateUpdates, "aggregateUpdates"));
  exports.Set("encodeUpdate", Napi::Function::New(env, cohort::addon::EncodeUpdate, "encodeUpdate"));
  return exports;
}

}  // namespace

NODE_API_MODULE(cohort_native, InitCohortNative)
