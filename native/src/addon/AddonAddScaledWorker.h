// addScaled(x, y, alpha) → Promise<Float32Array>: cohort::add_scaled_out on a libuv pool thread.
// Zero copies: the inputs are read in place (referenced until the work completes, so GC cannot free them)
// and the result is written straight into a new Float32Array allocated on the JS thread.
#pragma once

#include <napi.h>

#include <cstdint>
#include <optional>

#include "cohort/errors.h"

namespace cohort::addon {

class AddonAddScaledWorker final : public Napi::AsyncWorker {
 public:
  // The `addScaled` export. Never throws: every failure rejects the returned Promise with a named error.
  static Napi::Value Start(const Napi::CallbackInfo& info);

 private:
  AddonAddScaledWorker(Napi::Env env, Napi::Promise::Deferred deferred, Napi::Float32Array x, Napi::Float32Array y,
                       Napi::Float32Array out, double alpha);

  void Execute() override;  // pool thread: engine code only, no N-API
  void OnOK() override;
  void OnError(const Napi::Error& error) override;

  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::Float32Array> x_ref_;
  Napi::Reference<Napi::Float32Array> y_ref_;
  Napi::Reference<Napi::Float32Array> out_ref_;
  float* x_data_;
  float* y_data_;
  float* out_data_;
  int64_t x_length_;
  int64_t y_length_;
  double alpha_;
  std::optional<ErrorInfo> failure_;
};

}  // namespace cohort::addon
