// The engine's codec methods (protocol §3, §6): encodeUpdate turns the window's pseudo-gradient into a
// signed-ready update object through the replica's error feedback; applyAggregate validates an aggregate
// object and takes the outer step θ ← θ − α·A sparsely. Both run on the engine thread.
#include <cstring>
#include <optional>

#include "addon/AddonArgs.h"
#include "addon/AddonEngine.h"
#include "cohort/errors.h"
#include "cohort/state_fingerprint.h"

namespace cohort::addon {
namespace {

EngineState& ready_for_codec(EngineState& state) {
  if (!state.model || !state.trainer) throw IllegalStateError("the engine was disposed");
  return state;
}

codec::Bytes32 bytes32(const Napi::Object& o, const char* key) {
  const std::vector<uint8_t> v = bytes_value(o.Get(key), key, 32);
  codec::Bytes32 out{};
  std::memcpy(out.data(), v.data(), 32);
  return out;
}

Napi::Uint8Array to_js_bytes(Napi::Env env, const uint8_t* data, size_t size) {
  Napi::Uint8Array out = Napi::Uint8Array::New(env, size);
  std::memcpy(out.Data(), data, size);
  return out;
}

}  // namespace

Napi::Value AddonEngine::EncodeUpdate(const Napi::CallbackInfo& info) {
  return call(info, [&]() -> EngineThread::Job {
    const Napi::Object o = object_value(info[0], "options");
    codec::ObjectHeader header;
    header.run_id = string_value(o.Get("runId"), "runId");
    header.window = static_cast<uint64_t>(integer_value(o.Get("window"), "window"));
    header.hotkey = bytes32(o, "hotkey");
    header.data_receipt = bytes32(o, "dataReceipt");
    header.codec.tile_side = static_cast<int>(integer_value(o.Get("tileSide"), "tileSide"));
    header.codec.topk = static_cast<int>(integer_value(o.Get("topk"), "topk"));
    const std::string coding = string_value(o.Get("indexCoding"), "indexCoding");
    if (coding != "rice" && coding != "packed12") {
      throw InvalidArgumentError(expected_message("\"rice\" or \"packed12\"", "indexCoding", coding));
    }
    header.codec.index_coding = coding == "rice" ? codec::IndexCoding::kRice : codec::IndexCoding::kPacked12;
    const auto beta = static_cast<float>(number_value(o.Get("beta"), "beta"));
    return [state = state_, header, beta]() mutable -> EngineThread::Resolve {
      EngineState& s = ready_for_codec(*state);
      const auto& specs = s.model->specs();
      if (!s.trainer->has_snapshot()) throw IllegalStateError("encodeUpdate needs a snapshot() of θ_start first");
      // Validate what the writer would reject before Δ is taken (taking it restores θ_start).
      const std::vector<codec::TensorEntry> table = codec_tensor_table(specs);
      codec::encode_tensor_table(table);
      if (!s.error_feedback) s.error_feedback = std::make_unique<ErrorFeedback>(specs, error_feedback_device(s.options));
      const std::vector<at::Tensor> delta = s.trainer->pseudo_gradient();  // θ is θ_start again
      header.state_fingerprint = state_fingerprint(specs, s.model->parameters());
      const auto tensors = s.error_feedback->fold_and_encode(delta, beta, header.codec);
      auto bytes = std::make_shared<std::vector<uint8_t>>(codec::write_update(header, table, tensors));
      uint64_t kept = 0;
      for (const auto& t : tensors) kept += t.indices.size();
      const double ef_norm = s.error_feedback->norm();
      const codec::Bytes32 state_fp = header.state_fingerprint;
      return [bytes, kept, ef_norm, state_fp](Napi::Env e) -> Napi::Value {
        Napi::Object out = Napi::Object::New(e);
        out.Set("bytes", to_js_bytes(e, bytes->data(), bytes->size()));
        const codec::Bytes32 digest = codec::object_digest(*bytes);
        out.Set("digest", to_js_bytes(e, digest.data(), digest.size()));
        out.Set("stateFingerprint", to_js_bytes(e, state_fp.data(), state_fp.size()));
        out.Set("keptValues", Napi::Number::New(e, static_cast<double>(kept)));
        out.Set("errorFeedbackNorm", Napi::Number::New(e, ef_norm));
        return out;
      };
    };
  });
}

Napi::Value AddonEngine::ApplyAggregate(const Napi::CallbackInfo& info) {
  return call(info, [&]() -> EngineThread::Job {
    auto bytes = std::make_shared<std::vector<uint8_t>>(bytes_value(info[0], "aggregate"));
    const double alpha = number_value(info[1], "alpha");
    const Napi::Object o = object_value(info[2], "expect");
    codec::Expectations expect;
    if (o.Has("runId") && !o.Get("runId").IsUndefined()) expect.run_id = string_value(o.Get("runId"), "runId");
    if (o.Has("window") && !o.Get("window").IsUndefined()) {
      expect.window = static_cast<uint64_t>(integer_value(o.Get("window"), "window"));
    }
    // The θ_w the caller holds: an aggregate computed from another state must not be applied to this one.
    std::optional<codec::Bytes32> state_fp;
    if (o.Has("stateFingerprint") && !o.Get("stateFingerprint").IsUndefined()) {
      state_fp = bytes32(o, "stateFingerprint");
    }
    codec::DecodeLimits limits;
    limits.max_bytes = uint64_t{1} << 36;
    return [state = state_, bytes, alpha, expect, limits, state_fp]() mutable -> EngineThread::Resolve {
      EngineState& s = ready_for_codec(*state);
      expect.model_fingerprint = s.model_fingerprint;
      const codec::Aggregate aggregate = codec::decode_aggregate(bytes->data(), bytes->size(), limits, expect);
      if (state_fp && aggregate.header.state_fingerprint != *state_fp) {
        throw codec::CodecError(codec::Reason::kWrongState,
                                "the aggregate was computed from state " +
                                    to_hex(aggregate.header.state_fingerprint.data(), 32) + ", this replica holds " +
                                    to_hex(state_fp->data(), 32));
      }
      apply_aggregate(s.model->specs(), s.model->parameters(), aggregate, alpha);
      const size_t contributors = aggregate.contributors.size();
      const codec::Bytes32 digest = aggregate.digest;
      return [contributors, digest](Napi::Env e) -> Napi::Value {
        Napi::Object out = Napi::Object::New(e);
        out.Set("digest", to_js_bytes(e, digest.data(), digest.size()));
        out.Set("contributors", Napi::Number::New(e, static_cast<double>(contributors)));
        return out;
      };
    };
  });
}

Napi::Value AddonEngine::ErrorFeedbackState(const Napi::CallbackInfo& info) {
  return call(info, [&]() -> EngineThread::Job {
    return [state = state_]() -> EngineThread::Resolve {
      EngineState& s = ready_for_codec(*state);
      if (!s.error_feedback) return [](Napi::Env e) -> Napi::Value { return e.Null(); };
      auto flat = std::make_shared<std::vector<float>>(s.error_feedback->size());
      s.error_feedback->copy_to(flat->data());
      return [flat](Napi::Env e) -> Napi::Value {
        Napi::Float32Array out = Napi::Float32Array::New(e, flat->size());
        std::memcpy(out.Data(), flat->data(), flat->size() * sizeof(float));
        return out;
      };
    };
  });
}

Napi::Value AddonEngine::LoadErrorFeedback(const Napi::CallbackInfo& info) {
  return call(info, [&]() -> EngineThread::Job {
    const Napi::Float32Array values = float32_array_arg(info, 0, "errorFeedback");
    // Copied on the JS thread so the caller may reuse its buffer at once.
    auto flat = std::make_shared<std::vector<float>>(values.Data(), values.Data() + values.ElementLength());
    return [state = state_, flat]() -> EngineThread::Resolve {
      EngineState& s = ready_for_codec(*state);
      auto loaded = std::make_unique<ErrorFeedback>(s.model->specs(), error_feedback_device(s.options));
      loaded->load(flat->data(), flat->size());  // validates first: e is untouched on a bad state
      s.error_feedback = std::move(loaded);
      return nullptr;
    };
  });
}

}  // namespace cohort::addon
