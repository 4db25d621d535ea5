// A one-off call on libuv's pool returning a Promise (opening a dataset, hashing its shards): the same
// Job/Resolve shape as EngineThread, for short work that belongs to no engine.
#pragma once

#include <napi.h>

#include "addon/EngineThread.h"

namespace cohort::addon {

// Runs `job` on a pool thread; the Promise resolves with job's Resolve(env) or rejects with a named error.
Napi::Promise run_on_pool(Napi::Env env, EngineThread::Job job);

}  // namespace cohort::addon
