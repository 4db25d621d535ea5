// addScaled on an AsyncWorker (see AddonAddScaledWorker.h). Shape suffixes: _N = flat element count.
#include "addon/AddonAddScaledWorker.h"

#include <ATen/ops/from_blob.h>

#include <exception>
#include <memory>

#include "addon/AddonArgs.h"
#include "addon/AddonErrors.h"
#include "cohort/ops.h"

namespace cohort::addon {

Napi::Value AddonAddScaledWorker::Start(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  try {
    const Napi::Float32Array x = float32_array_arg(info, 0, "x");
    const Napi::Float32Array y = float32_array_arg(info, 1, "y");
    const double alpha = number_arg(info, 2, "alpha");
    const Napi::Float32Array out = Napi::Float32Array::New(env, x.ElementLength());
    std::unique_ptr<AddonAddScaledWorker> worker(new AddonAddScaledWorker(env, deferred, x, y, out, alpha));
    worker->Queue();
    worker.release();  // the queued work owns it now and deletes it after OnOK/OnError
  } catch (...) {
    deferred.Reject(current_exception_to_js(env).Value());
  }
  return deferred.Promise();
}

AddonAddScaledWorker::AddonAddScaledWorker(Napi::Env env, Napi::Promise::Deferred deferred, Napi::Float32Array x,
                                           Napi::Float32Array y, Napi::Float32Array out, double alpha)
    : Napi::AsyncWorker(env, "cohort.addScaled"),
      deferred_(deferred),
      x_ref_(Napi::Persistent(x)),
      y_ref_(Napi::Persistent(y)),
      out_ref_(Napi::Persistent(out)),
      x_data_(x.Data()),
      y_data_(y.Data()),
      out_data_(out.Data()),
      x_length_(static_cast<int64_t>(x.ElementLength())),
      y_length_(static_cast<int64_t>(y.ElementLength())),
      alpha_(alpha) {}

void AddonAddScaledWorker::Execute() {
  try {
    const at::Tensor x_N = at::from_blob(x_data_, {x_length_}, at::kFloat);
    const at::Tensor y_N = at::from_blob(y_data_, {y_length_}, at::kFloat);
    at::Tensor out_N = at::from_blob(out_data_, {x_length_}, at::kFloat);
    add_scaled_out(out_N, x_N, y_N, alpha_);
  } catch (...) {
    failure_ = describe_exception(std::current_exception());
    SetError(failure_->kind);  // non-empty, so AsyncWorker calls OnError; failure_ carries the details
  }
}

void AddonAddScaledWorker::OnOK() { deferred_.Resolve(out_ref_.Value()); }

void AddonAddScaledWorker::OnError(const Napi::Error& error) {
  // failure_ is unset only if AsyncWorker itself failed outside Execute's try block.
  const ErrorInfo info = failure_.value_or(ErrorInfo{"InternalError", error.Message(), ""});
  deferred_.Reject(to_js_error(Env(), info).Value());
}

}  // namespace cohort::addon
