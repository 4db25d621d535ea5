// One dedicated native thread per engine handle (ADR 0004): long calls (a window of training, evaluation,
// checkpoint I/O) run there one at a time, in submission order, never on libuv's pool. Each call returns a
// Promise that a thread-safe function settles on the JS thread; the event loop is kept alive only while
// calls are in flight.
#pragma once

#include <napi.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "cohort/errors.h"

namespace cohort::addon {

class EngineThread {
 public:
  // Builds the JS value of a successful call; runs on the JS thread.
  using Resolve = std::function<Napi::Value(Napi::Env)>;
  // The work of one call; runs on the engine thread and may throw (mapped like any engine error).
  using Job = std::function<Resolve()>;

  EngineThread(Napi::Env env, const char* name);
  ~EngineThread();  // stop() if still running
  EngineThread(const EngineThread&) = delete;
  EngineThread& operator=(const EngineThread&) = delete;

  // Queue `job`; the Promise settles when it has run. After close() the Promise rejects with
  // IllegalStateError.
  Napi::Promise submit(Napi::Env env, Job job);

  // Refuse new calls; `last` runs after every queued call, then the thread ends. Returns its Promise.
  Napi::Promise close(Napi::Env env, Job last);
  bool closed() const { return closed_; }

  // Ends the thread now (after the running call returns), dropping queued calls. For environment teardown.
  void stop();

 private:
  struct Task {
    Job job;
    Napi::Promise::Deferred* deferred;
    bool last;
  };
  struct Done {
    Napi::Promise::Deferred* deferred;
    Resolve resolve;
    std::optional<ErrorInfo> error;
    bool last;
  };
  static void settle(Napi::Env env, Napi::Function, EngineThread* self, Done* done);
  using Tsfn = Napi::TypedThreadSafeFunction<EngineThread, Done, &EngineThread::settle>;

  void run();
  void enqueue(Napi::Env env, Task task);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  bool closed_ = false;  // JS thread only
  int in_flight_ = 0;    // JS thread only
  Tsfn tsfn_;
  std::thread thread_;
};

}  // namespace cohort::addon
