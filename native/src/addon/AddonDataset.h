// Dataset handles for JS: an open `cohort-shards/1` dataset (memory-mapped, read-only), shared with every
// engine call that trains or evaluates on it. `close()` drops JS's reference; the mapping goes away once
// no call in flight still uses it.
#pragma once

#include <napi.h>

#include <memory>

#include "cohort/shards.h"

namespace cohort::addon {

class AddonDataset final : public Napi::ObjectWrap<AddonDataset> {
 public:
  static Napi::Function Define(Napi::Env env);
  // openDataset(manifestPath, verifyHashes) → Promise<Dataset> (opened on a pool thread).
  static Napi::Value Open(const Napi::CallbackInfo& info);
  // The dataset behind a JS Dataset argument; throws InvalidArgumentError for anything else, and
  // IllegalStateError after close().
  static std::shared_ptr<const ShardDataset> FromValue(const Napi::Value& value, const char* what);

  explicit AddonDataset(const Napi::CallbackInfo& info);

 private:
  Napi::Value SampleCount(const Napi::CallbackInfo& info);
  Napi::Value SampleIds(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  const ShardDataset& dataset(const char* method) const;

  std::shared_ptr<const ShardDataset> dataset_;
};

}  // namespace cohort::addon
