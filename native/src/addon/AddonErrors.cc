// Engine exceptions → named JS errors (see AddonErrors.h).
#include "addon/AddonErrors.h"

#include <exception>

namespace cohort::addon {

Napi::Error to_js_error(Napi::Env env, const ErrorInfo& info) {
  Napi::Error error = Napi::Error::New(env, info.message);
  error.Set("name", Napi::String::New(env, info.kind));
  if (!info.reason.empty()) error.Set("reason", Napi::String::New(env, info.reason));
  return error;
}

Napi::Error current_exception_to_js(Napi::Env env) {
  return to_js_error(env, describe_exception(std::current_exception()));
}

}  // namespace cohort::addon
