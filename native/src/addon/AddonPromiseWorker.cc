// run_on_pool (see AddonPromiseWorker.h).
#include "addon/AddonPromiseWorker.h"

#include <optional>

#include "addon/AddonErrors.h"

namespace cohort::addon {
namespace {

class PromiseWorker final : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, EngineThread::Job job)
      : Napi::AsyncWorker(env, "cohort-native"), deferred_(Napi::Promise::Deferred::New(env)), job_(std::move(job)) {}
  Napi::Promise promise() const { return deferred_.Promise(); }

 private:
  void Execute() override {
    try {
      resolve_ = job_();
    } catch (...) {
      failure_ = describe_exception(std::current_exception());
    }
  }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    if (failure_) {
      deferred_.Reject(to_js_error(Env(), *failure_).Value());
      return;
    }
    try {
      deferred_.Resolve(resolve_ ? resolve_(Env()) : Env().Undefined());
    } catch (...) {
      deferred_.Reject(current_exception_to_js(Env()).Value());
    }
  }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

  Napi::Promise::Deferred deferred_;
  EngineThread::Job job_;
  EngineThread::Resolve resolve_;
  std::optional<ErrorInfo> failure_;
};

}  // namespace

Napi::Promise run_on_pool(Napi::Env env, EngineThread::Job job) {
  auto* worker = new PromiseWorker(env, std::move(job));  // AsyncWorker deletes itself when done
  const Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace cohort::addon
