// buildInfo(): cohort::BuildInfo → { engineVersion, torchVersion, cudaKernelsCompiled,
// cudaCompilerVersion, cudaArchitectures, cudaDeviceCount }.
#include "addon/AddonBuildInfo.h"

#include <optional>
#include <string>

#include "addon/AddonErrors.h"
#include "cohort/build_info.h"

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

}  // namespace cohort::addon
