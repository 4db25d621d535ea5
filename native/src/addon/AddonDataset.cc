// Dataset handles (see AddonDataset.h).
#include "addon/AddonDataset.h"

#include "addon/AddonArgs.h"
#include "addon/AddonErrors.h"
#include "addon/AddonInstance.h"
#include "addon/AddonPromiseWorker.h"

namespace cohort::addon {

Napi::Function AddonDataset::Define(Napi::Env env) {
  return DefineClass(env, "Dataset",
                     {InstanceMethod<&AddonDataset::SampleCount>("sampleCount"),
                      InstanceMethod<&AddonDataset::SampleIds>("sampleIds"),
                      InstanceMethod<&AddonDataset::Close>("close")});
}

AddonDataset::AddonDataset(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonDataset>(info) {
  // Constructed only by Open, with the dataset in an External.
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw to_js_error(info.Env(), {"IllegalStateError", "Dataset objects are made by openDataset()", ""});
  }
  dataset_ = *info[0].As<Napi::External<std::shared_ptr<const ShardDataset>>>().Data();
  const ShardDataset& ds = *dataset_;
  Napi::Object self = info.This().As<Napi::Object>();
  self.Set("seqLen", Napi::Number::New(info.Env(), static_cast<double>(ds.seq_len())));
  self.Set("vocabSize", Napi::Number::New(info.Env(), static_cast<double>(ds.tokenizer().vocab_size)));
  self.Set("eosToken", Napi::Number::New(info.Env(), static_cast<double>(ds.tokenizer().eos_token)));
}

Napi::Value AddonDataset::Open(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  try {
    const std::string path = string_value(info[0], "manifestPath");
    const bool verify = boolean_value(info[1], "verifyHashes");
    return run_on_pool(env, [path, verify]() -> EngineThread::Resolve {
      auto dataset = std::make_shared<const ShardDataset>(ShardDataset::open(path, verify));
      return [dataset](Napi::Env e) -> Napi::Value {
        auto holder = std::make_unique<std::shared_ptr<const ShardDataset>>(dataset);
        const auto external = Napi::External<std::shared_ptr<const ShardDataset>>::New(
            e, holder.release(), [](Napi::Env, std::shared_ptr<const ShardDataset>* p) { delete p; });
        return instance(e).dataset_constructor.New({external});
      };
    });
  } catch (...) {
    const auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(current_exception_to_js(env).Value());
    return deferred.Promise();
  }
}

std::shared_ptr<const ShardDataset> AddonDataset::FromValue(const Napi::Value& value, const char* what) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(instance(value.Env()).dataset_constructor.Value())) {
    throw InvalidArgumentError(expected_message("a Dataset from openDataset()", what, "another value"));
  }
  const AddonDataset* self = Napi::ObjectWrap<AddonDataset>::Unwrap(value.As<Napi::Object>());
  if (!self->dataset_) throw IllegalStateError(std::string(what) + ": the dataset was closed");
  return self->dataset_;
}

const ShardDataset& AddonDataset::dataset(const char* method) const {
  if (!dataset_) throw IllegalStateError(std::string("Dataset.") + method + ": the dataset was closed");
  return *dataset_;
}

Napi::Value AddonDataset::SampleCount(const Napi::CallbackInfo& info) {
  try {
    const ShardSplit split = parse_shard_split(string_value(info[0], "split"));
    return Napi::Number::New(info.Env(), static_cast<double>(dataset("sampleCount").sample_count(split)));
  } catch (...) {
    throw current_exception_to_js(info.Env());
  }
}

Napi::Value AddonDataset::SampleIds(const Napi::CallbackInfo& info) {
  try {
    const ShardSplit split = parse_shard_split(string_value(info[0], "split"));
    const std::vector<int64_t> indices = uint32_array_value(info[1], "indices");
    const ShardDataset& ds = dataset("sampleIds");
    Napi::BigUint64Array ids = Napi::BigUint64Array::New(info.Env(), indices.size());
    for (size_t i = 0; i < indices.size(); ++i) ids[i] = ds.sample_id(split, indices[i]);
    return ids;
  } catch (...) {
    throw current_exception_to_js(info.Env());
  }
}

Napi::Value AddonDataset::Close(const Napi::CallbackInfo& info) {
  dataset_.reset();
  return info.Env().Undefined();
}

}  // namespace cohort::addon
