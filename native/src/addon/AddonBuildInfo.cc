// buildInfo(): cohort::BuildInfo → { engineVersion, torchVersion, cudaKernelsCompiled,
// cudaCompilerVersion, cudaArchitectures, cudaDeviceCount }; cudaMemory(device) → { freeBytes, totalBytes } | null.
#include "addon/AddonBuildInfo.h"

#include <optional>
#include <string>

#include "addon/AddonArgs.h"
#include "addon/AddonErrors.h"
#include "cohort/build_info.h"
#include "core/cuda_devices.h"

namespace cohort::addon {
namespace {

Napi::Value string_or_null(Napi::Env env, const std::optional<std::string>& value) {
  return value.has_value() ? Napi::Value(Napi::String::New(env, *value)) : env.Null();
}

}  // namespace

Napi::Value AddonBuildInfo(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  try {
    const BuildInfo build = build_info();
    Napi::Object result = Napi::Object::New(env);
    result.Set("engineVersion", build.engine_version);
    result.Set("torchVersion", build.torch_version);
    result.Set("cudaKernelsCompiled", build.cuda_kernels_compiled);
    result.Set("cudaCompilerVersion", string_or_null(env, build.cuda_compiler_version));
    result.Set("cudaArchitectures", string_or_null(env, build.cuda_architectures));
    result.Set("cudaDeviceCount", build.cuda_device_count);
    return result;
  } catch (...) {
    throw current_exception_to_js(env);
  }
}

Napi::Value AddonCudaMemory(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  try {
    const int64_t device = integer_value(info[0], "device");
    if (device < 0 || device > 1024) throw InvalidArgumentError(expected_message("an integer in [0, 1024]", "device", std::to_string(device)));
    const auto memory = detail::cuda_memory(static_cast<int>(device));
    if (!memory.has_value()) return env.Null();
    Napi::Object result = Napi::Object::New(env);
    result.Set("freeBytes", Napi::Number::New(env, static_cast<double>(memory->free_bytes)));
    result.Set("totalBytes", Napi::Number::New(env, static_cast<double>(memory->total_bytes)));
    return result;
  } catch (...) {
    throw current_exception_to_js(env);
  }
}

}  // namespace cohort::addon
