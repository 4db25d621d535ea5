// Engine handles for JS: one model replica with its inner optimizer, living on its own native thread.
// JS holds an opaque handle; every slow method returns a Promise; GPU tensors never cross into JS;
// after dispose() every method throws IllegalStateError.
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>
#include <vector>

#include "addon/AddonEngineOptions.h"
#include "addon/EngineThread.h"
#include "cohort/sparseloco.h"
#include "cohort/trainer.h"

namespace cohort::addon {

// What the engine thread owns. Only the engine thread touches model and trainer.
struct EngineState {
  EngineOptions options;
  // The codec's fingerprint of the model's tensor table: what every update and aggregate must carry.
  // Fixed by the configuration, so computed once at creation.
  codec::Bytes32 model_fingerprint{};
  std::unique_ptr<LlamaModel> model;
  std::unique_ptr<Trainer> trainer;
  std::unique_ptr<ErrorFeedback> error_feedback;  // created by the first encodeUpdate
  std::atomic<bool> cancel{false};
  std::shared_ptr<EngineThread> thread;
};

class AddonEngine final : public Napi::ObjectWrap<AddonEngine> {
 public:
  static Napi::Function Define(Napi::Env env);
  // createEngine(options) → Promise<Engine>: the model is initialised on the new engine thread.
  static Napi::Value Create(const Napi::CallbackInfo& info);

  explicit AddonEngine(const Napi::CallbackInfo& info);

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value TrainInner(const Napi::CallbackInfo& info);
  Napi::Value EvalLoss(const Napi::CallbackInfo& info);
  Napi::Value Snapshot(const Napi::CallbackInfo& info);
  Napi::Value PseudoGradient(const Napi::CallbackInfo& info);
  Napi::Value RestoreSnapshot(const Napi::CallbackInfo& info);
  Napi::Value ApplyUpdate(const Napi::CallbackInfo& info);
  Napi::Value StateFingerprint(const Napi::CallbackInfo& info);
  Napi::Value EncodeUpdate(const Napi::CallbackInfo& info);
  Napi::Value ApplyAggregate(const Napi::CallbackInfo& info);
  Napi::Value ErrorFeedbackState(const Napi::CallbackInfo& info);
  Napi::Value LoadErrorFeedback(const Napi::CallbackInfo& info);
  Napi::Value SaveCheckpoint(const Napi::CallbackInfo& info);
  Napi::Value LoadCheckpoint(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  // Submit `job` (built on the JS thread by `prepare`, which may throw) to the engine thread; every failure
  // becomes a rejected Promise.
  Napi::Value call(const Napi::CallbackInfo& info, const std::function<EngineThread::Job()>& prepare);

  std::shared_ptr<EngineState> state_;
};

}  // namespace cohort::addon
