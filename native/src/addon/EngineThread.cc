// The engine thread (see EngineThread.h).
#include "addon/EngineThread.h"

#include "addon/AddonErrors.h"

namespace cohort::addon {

EngineThread::EngineThread(Napi::Env env, const char* name) : tsfn_(Tsfn::New(env, name, 0, 1, this)) {
  tsfn_.Unref(env);  // idle engines do not keep the process alive
  thread_ = std::thread([this] { run(); });
}

EngineThread::~EngineThread() { stop(); }

void EngineThread::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    for (Task& task : queue_) delete task.deferred;  // their Promises can no longer settle: env is ending
    queue_.clear();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EngineThread::enqueue(Napi::Env env, Task task) {
  if (in_flight_++ == 0) tsfn_.Ref(env);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
}

Napi::Promise EngineThread::submit(Napi::Env env, Job job) {
  auto* deferred = new Napi::Promise::Deferred(Napi::Promise::Deferred::New(env));
  const Napi::Promise promise = deferred->Promise();
  if (closed_) {
    deferred->Reject(to_js_error(env, {"IllegalStateError", "the engine was disposed", ""}).Value());
    delete deferred;
    return promise;
  }
  enqueue(env, Task{std::move(job), deferred, false});
  return promise;
}

Napi::Promise EngineThread::close(Napi::Env env, Job last) {
  if (closed_) return submit(env, std::move(last));  // rejects: already disposed
  closed_ = true;
  auto* deferred = new Napi::Promise::Deferred(Napi::Promise::Deferred::New(env));
  const Napi::Promise promise = deferred->Promise();
  enqueue(env, Task{std::move(last), deferred, true});
  return promise;
}

void EngineThread::run() {
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    auto* done = new Done{task.deferred, nullptr, std::nullopt, task.last};
    try {
      done->resolve = task.job();
    } catch (...) {
      done->error = describe_exception(std::current_exception());
    }
    if (tsfn_.BlockingCall(done) != napi_ok) {
      delete done->deferred;  // the environment is shutting down
      delete done;
    }
    if (task.last) {
      tsfn_.Release();
      return;
    }
  }
}

void EngineThread::settle(Napi::Env env, Napi::Function, EngineThread* self, Done* done) {
  if (env != nullptr) {
    Napi::HandleScope scope(env);
    if (done->error) {
      done->deferred->Reject(to_js_error(env, *done->error).Value());
    } else {
      try {
        done->deferred->Resolve(done->resolve ? done->resolve(env) : env.Undefined());
      } catch (...) {
        done->deferred->Reject(current_exception_to_js(env).Value());
      }
    }
    if (--self->in_flight_ == 0 && !done->last) self->tsfn_.Unref(env);
    if (done->last && self->thread_.joinable()) self->thread_.join();  // it has returned from run()
  }
  delete done->deferred;
  delete done;
}

}  // namespace cohort::addon
