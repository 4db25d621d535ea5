// decodeUpdate and decodeAggregate (see AddonCodec.h).
#include "addon/AddonCodec.h"

#include <memory>
#include <optional>

#include "addon/AddonArgs.h"
#include "addon/AddonCodecArgs.h"
#include "addon/AddonCodecValues.h"
#include "addon/AddonErrors.h"
#include "addon/AddonPromiseWorker.h"
#include "cohort/codec/aggregate.h"

namespace cohort::addon {
namespace {

// What a decode computed; the Resolve turns it into JS on the JS thread.
struct DecodeOutcome {
  std::optional<Rejection> rejection;
  ObjectSummary summary;
  std::vector<codec::Contributor> contributors;  // aggregates only
  std::vector<SparseTensorOut> tensors;
  bool materialized = false;
};

ObjectSummary summarize_update(const codec::DecodedUpdate& u, size_t size) {
  ObjectSummary s;
  s.size_bytes = size;
  s.header = u.header;
  s.model_fingerprint = u.model_fingerprint;
  s.digest = u.digest;
  s.signature = u.signature;
  s.tensor_count = u.tensors.size();
  s.value_count = u.kept_values;
  return s;
}

Napi::Array contributors_js(Napi::Env env, const std::vector<codec::Contributor>& contributors) {
  Napi::Array out = Napi::Array::New(env, contributors.size());
  for (size_t i = 0; i < contributors.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("hotkey", bytes_js(env, contributors[i].hotkey));
    o.Set("payloadHash", bytes_js(env, contributors[i].payload_hash));
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

}  // namespace

Napi::Value rejected_promise(Napi::Env env) {
  const auto deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(current_exception_to_js(env).Value());
  return deferred.Promise();
}

Napi::Value DecodeUpdate(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  try {
    const HeldArray<uint8_t> bytes = held_bytes(info[0], "bytes");
    const codec::Expectations expect = expectations_value(info[1]);
    const codec::DecodeLimits limits = decode_limits_value(info[2]);
    const bool materialize = boolean_value(info[3], "materialize");
    return run_on_pool(env, [bytes, expect, limits, materialize]() -> EngineThread::Resolve {
      auto out = std::make_shared<DecodeOutcome>();
      try {
        const codec::DecodedUpdate u = codec::decode_update(bytes.data, bytes.length, limits, expect);
        out->summary = summarize_update(u, bytes.length);
        out->materialized = materialize;
        if (materialize) {
          out->tensors.reserve(u.tensors.size());
          for (const codec::DecodedTensor& t : u.tensors) out->tensors.push_back(sparse_tensor(t, u.header.codec));
        }
      } catch (const codec::CodecError& e) {
        out->rejection = rejection_of(e);
      }
      return [out](Napi::Env e) -> Napi::Value {
        if (out->rejection) return rejection_js(e, *out->rejection);
        Napi::Object o = Napi::Object::New(e);
        o.Set("ok", true);
        o.Set("summary", summary_js(e, out->summary, "keptValues"));
        o.Set("tensors", out->materialized ? Napi::Value(tensors_js(e, out->tensors)) : e.Null());
        return o;
      };
    });
  } catch (...) {
    return rejected_promise(env);
  }
}

Napi::Value DecodeAggregate(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  try {
    const HeldArray<uint8_t> bytes = held_bytes(info[0], "bytes");
    const codec::Expectations expect = expectations_value(info[1]);
    const codec::DecodeLimits limits = decode_limits_value(info[2]);
    return run_on_pool(env, [bytes, expect, limits]() -> EngineThread::Resolve {
      auto out = std::make_shared<DecodeOutcome>();
      try {
        codec::Aggregate a = codec::decode_aggregate(bytes.data, bytes.length, limits, expect);
        ObjectSummary& s = out->summary;
        s.format_version = a.format_version;
        s.size_bytes = bytes.length;
        s.header = a.header;
        s.model_fingerprint = a.model_fingerprint;
        s.digest = a.digest;
        s.signature = trailing_signature(bytes.data, bytes.length);
        s.tensor_count = a.tensors.size();
        out->contributors = std::move(a.contributors);
        for (codec::AggregateTensor& t : a.tensors) {
          s.value_count += t.values.size();
          out->tensors.push_back(sparse_tensor(std::move(t)));
        }
      } catch (const codec::CodecError& e) {
        out->rejection = rejection_of(e);
      }
      return [out](Napi::Env e) -> Napi::Value {
        if (out->rejection) return rejection_js(e, *out->rejection);
        Napi::Object o = Napi::Object::New(e);
        o.Set("ok", true);
        o.Set("summary", summary_js(e, out->summary, "valueCount"));
        o.Set("contributors", contributors_js(e, out->contributors));
        o.Set("tensors", tensors_js(e, out->tensors));
        return o;
      };
    });
  } catch (...) {
    return rejected_promise(env);
  }
}

}  // namespace cohort::addon
