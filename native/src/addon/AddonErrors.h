// The boundary's error mapping: every engine failure becomes a JS Error whose `name` is one of the closed
// set (InvalidArgumentError, IllegalStateError, InternalError, CudaError, OutOfMemoryError); the TS
// wrapper (ts/errors.ts, mapNativeError) turns the name into a typed error class.
#pragma once

#include <napi.h>

#include "cohort/errors.h"

namespace cohort::addon {

// A JS Error with info.message and `name` set to info.kind.
Napi::Error to_js_error(Napi::Env env, const ErrorInfo& info);

// to_js_error for the exception being handled; call only inside a catch block.
Napi::Error current_exception_to_js(Napi::Env env);

}  // namespace cohort::addon
