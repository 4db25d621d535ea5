// Engine handles (see AddonEngine.h). Shape legend: N sequences, T sequence length, P total parameters.
#include "addon/AddonEngine.h"

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <cstring>
#include <optional>

#include "addon/AddonArgs.h"
#include "addon/AddonCodecValues.h"
#include "addon/AddonDataset.h"
#include "addon/AddonErrors.h"
#include "addon/AddonInstance.h"
#include "cohort/checkpoint.h"
#include "cohort/cpu_runtime.h"
#include "core/fused_ops.h"
#include "cohort/state_fingerprint.h"

namespace cohort::addon {
namespace {

Napi::Float64Array to_float64_array(Napi::Env env, const std::vector<double>& values) {
  Napi::Float64Array out = Napi::Float64Array::New(env, values.size());
  std::copy(values.begin(), values.end(), out.Data());
  return out;
}

// A finished-or-not check every engine-thread job starts with.
EngineState& ready(EngineState& state) {
  if (!state.model || !state.trainer) throw IllegalStateError("the engine was disposed");
  return state;
}

// Tokens of `indices` from the dataset, on the model's device; the dataset must fit the model.
at::Tensor tokens_for(const EngineState& state, const ShardDataset& dataset, ShardSplit split, const std::vector<int64_t>& indices) {
  const ModelConfig& config = state.model->config();
  if (dataset.tokenizer().vocab_size > config.vocab_size) {
    throw InvalidArgumentError(expected_message("a dataset vocabulary of at most " + std::to_string(config.vocab_size), "dataset",
                                                std::to_string(dataset.tokenizer().vocab_size)));
  }
  if (dataset.seq_len() > config.max_seq_len) {
    throw InvalidArgumentError(expected_message("sequences of at most " + std::to_string(config.max_seq_len) + " tokens", "dataset",
                                                std::to_string(dataset.seq_len())));
  }
  return dataset.batch(split, indices).to(state.model->placement().device);
}

int64_t total_parameters(const EngineState& state) {
  int64_t n = 0;
  for (const auto& p : state.model->parameters()) n += p.numel();
  return n;
}

}  // namespace

Napi::Function AddonEngine::Define(Napi::Env env) {
  return DefineClass(env, "Engine",
                     {InstanceMethod<&AddonEngine::Info>("info"), InstanceMethod<&AddonEngine::TrainInner>("trainInner"),
                      InstanceMethod<&AddonEngine::EvalLoss>("evalLoss"), InstanceMethod<&AddonEngine::Snapshot>("snapshot"),
                      InstanceMethod<&AddonEngine::PseudoGradient>("pseudoGradient"),
                      InstanceMethod<&AddonEngine::RestoreSnapshot>("restoreSnapshot"),
                      InstanceMethod<&AddonEngine::ApplyUpdate>("applyUpdate"),
                      InstanceMethod<&AddonEngine::StateFingerprint>("stateFingerprint"),
                      InstanceMethod<&AddonEngine::EncodeUpdate>("encodeUpdate"),
                      InstanceMethod<&AddonEngine::ApplyAggregate>("applyAggregate"),
                      InstanceMethod<&AddonEngine::ErrorFeedbackState>("errorFeedbackState"),
                      InstanceMethod<&AddonEngine::LoadErrorFeedback>("loadErrorFeedback"),
                      InstanceMethod<&AddonEngine::SaveCheckpoint>("saveCheckpoint"),
                      InstanceMethod<&AddonEngine::LoadCheckpoint>("loadCheckpoint"),
                      InstanceMethod<&AddonEngine::Cancel>("cancel"), InstanceMethod<&AddonEngine::Dispose>("dispose")});
}

AddonEngine::AddonEngine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonEngine>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw to_js_error(info.Env(), {"IllegalStateError", "Engine objects are made by createEngine()", ""});
  }
  state_ = *info[0].As<Napi::External<std::shared_ptr<EngineState>>>().Data();
}

Napi::Value AddonEngine::Create(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  try {
    auto state = std::make_shared<EngineState>();
    state->options = read_engine_options(info[0]);
    state->model_fingerprint = codec::model_fingerprint(codec_tensor_table(parameter_specs(state->options.model)));
    state->thread = std::make_shared<EngineThread>(env, "cohort-engine");
    instance(env).register_thread(state->thread);
    return state->thread->submit(env, [state]() -> EngineThread::Resolve {
      if (state->options.placement.device.is_cpu()) configure_cpu_runtime(state->options.threads);
      state->model = std::make_unique<LlamaModel>(state->options.model, state->options.seed, state->options.placement);
      state->trainer = std::make_unique<Trainer>(*state->model, state->options.trainer);
      return [state](Napi::Env e) -> Napi::Value {
        auto holder = std::make_unique<std::shared_ptr<EngineState>>(state);
        const auto external = Napi::External<std::shared_ptr<EngineState>>::New(
            e, holder.release(), [](Napi::Env, std::shared_ptr<EngineState>* p) { delete p; });
        return instance(e).engine_constructor.New({external});
      };
    });
  } catch (...) {
    const auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(current_exception_to_js(env).Value());
    return deferred.Promise();
  }
}

Napi::Value AddonEngine::call(const Napi::CallbackInfo& info, const std::function<EngineThread::Job()>& prepare) {
  const Napi::Env env = info.Env();
  try {
    if (state_->thread->closed()) throw IllegalStateError("the engine was disposed");
    return state_->thread->submit(env, prepare());
  } catch (...) {
    const auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(current_exception_to_js(env).Value());
    return deferred.Promise();
  }
}

Napi::Value AddonEngine::Info(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const EngineOptions& o = state_->options;
  Napi::Object out = Napi::Object::New(env);
  out.Set("preset", o.model.preset);
  out.Set("parameterCount", Napi::Number::New(env, static_cast<double>(parameter_count(o.model))));
  out.Set("vocabSize", Napi::Number::New(env, static_cast<double>(o.model.vocab_size)));
  out.Set("maxSeqLen", Napi::Number::New(env, static_cast<double>(o.model.max_seq_len)));
  out.Set("device", o.placement.device.is_cuda() ? "cuda" : "cpu");
  out.Set("computeDtype", o.placement.compute_dtype == at::kBFloat16 ? "bf16" : "fp32");
  out.Set("fusedOps", Napi::Boolean::New(env, o.placement.fused_ops && fused_ops_supported(o.placement.device, o.placement.compute_dtype)));
  out.Set("deviceEncode", Napi::Boolean::New(env, error_feedback_device(o).is_cuda()));
  out.Set("modelFingerprint", bytes_js(env, state_->model_fingerprint));
  out.Set("disposed", Napi::Boolean::New(env, state_->thread->closed()));
  return out;
}

Napi::Value AddonEngine::TrainInner(const Napi::CallbackInfo& info) {
  return call(info, [&]() -> EngineThread::Job {
    auto dataset = AddonDataset::FromValue(info[0], "dataset");
    const ShardSplit split = parse_shard_split(string_value(info[1], "split"));
    auto indices = uint32_array_value(info[2], "indices");
    const int64_t steps = integer_value(info[3], "steps");
    // null: carry on from the trainer's schedule position; a number: put the schedule there first.
    std::optional<int64_t> schedule_step;
    if (!info[4].IsNull() && !info[4].IsUndefined()) schedule_step = integer_value(info[4], "scheduleStep");
    return [state = state_, dataset, split, indices = std::move(indices), steps, schedule_step]() -> EngineThread::Resolve {
      EngineState& s = ready(*state);
      const at::Tensor tokens_NT = tokens_for(s, *dataset, split, indices);
      if (schedule_step) s.trainer->set_schedule_step(*schedule_step);  // throws for a negative step
      s.cancel = false;
      const InnerResult r = s.trainer->train_inner(tokens_NT, steps, &s.cancel);
      const int64_t step = s.trainer->schedule_step();
      const int64_t optimizer_steps = s.trainer->optimizer_steps();
      return [r, step, optimizer_steps](Napi::Env e) -> Napi::Value {
        Napi::Object out = Napi::Object::New(e);
        out.Set("losses", to_float64_array(e, r.losses));
        out.Set("gradNorms", to_float64_array(e, r.grad_norms));
        out.Set("learningRates", to_float64_array(e, r.learning_rates));
        out.Set("tokens", Napi::Number::New(e, static_cast<double>(r.tokens)));
        out.Set("seconds", Napi::Number::New(e, r.seconds));
        out.Set("tokensPerSecond", Napi::Number::New(e, r.tokens_per_second));
        out.Set("cancelled", Napi::Boolean::New(e, r.cancelled));
        out.Set("step", Napi::Number::New(e, static_cast<double>(step)));
        out.Set("optimizerSteps", Napi::Number::New(e, static_cast<double>(optimizer_steps)));
        return out;
      };
    };
  });
}

Napi::Value AddonEngine::EvalLoss(const Napi::CallbackInfo& info) {
  return call(info, [&]() -> EngineThread::Job {
    auto dataset = AddonDataset::FromValue(info[0], "dataset");
    const ShardSplit split = parse_shard_split(string_value(info[1], "split"));
    auto indices = uint32_array_value(info[2], "indices");
    const int64_t micro = integer_value(info[3], "microBatch");
    return [state = state_, dataset, split, indices = std::move(indices), micro]() -> EngineThread::Resolve {
      EngineState& s = ready(*state);
      const double loss = s.trainer->eval_loss(tokens_for(s, *dataset, split, indices), micro);
      return [loss](Napi::Env e) -> Napi::Value { return Napi::Number::New(e, loss); };
    };
  });
}

Napi::Value AddonEngine::Snapshot(const Napi::CallbackInfo& info) {
  return call(info, [&]() -> EngineThread::Job {
    return [state = state_]() -> EngineThread::Resolve {
      ready(*state).trainer->snapshot();
      return nullptr;
    };
  });
}

Napi::Value AddonEngine::RestoreSnapshot(const Napi::CallbackInfo& info) {
  return call(info, [&]() -> EngineThread::Job {
    return [state = state_]() -> EngineThread::Resolve {
      ready(*state).trainer->restore_snapshot();
      return nullptr;
    };
  });
}

Napi::Value AddonEngine::PseudoGradient(const Napi::CallbackInfo& info) {
  return call(info, [&]() -> EngineThread::Job {
    return [state = state_]() -> EngineThread::Resolve {
      EngineState& s = ready(*state);
      // Δ = θ_start − θ, flattened in canonical order to host fp32 (dense export: for models that fit a host
      // buffer; the codec path keeps Δ native).
      const std::vector<at::Tensor> delta = s.trainer->pseudo_gradient();
      std::vector<at::Tensor> flat;
      for (const auto& d : delta) flat.push_back(d.reshape({-1}).to(at::kCPU, at::kFloat));
      auto values = std::make_shared<at::Tensor>(at::cat(flat));
      return [values](Napi::Env e) -> Napi::Value {
        Napi::Float32Array out = Napi::Float32Array::New(e, static_cast<size_t>(values->numel()));
        std::memcpy(out.Data(), values->data_ptr<float>(), static_cast<size_t>(values->numel()) * sizeof(float));
        return out;
      };
    };
  });
}

Napi::Value AddonEngine::ApplyUpdate(const Napi::CallbackInfo& info) {
  return call(info, [&]() -> EngineThread::Job {
    const Napi::Float32Array update = float32_array_arg(info, 0, "update");
    const double alpha = number_value(info[1], "alpha");
    // Copied on the JS thread so the caller may reuse its buffer at once.
    auto flat_P = std::make_shared<at::Tensor>(at::empty({static_cast<int64_t>(update.ElementLength())}, at::kFloat));
    std::memcpy(flat_P->data_ptr<float>(), update.Data(), update.ElementLength() * sizeof(float));
    return [state = state_, flat_P, alpha]() -> EngineThread::Resolve {
      EngineState& s = ready(*state);
      if (flat_P->numel() != total_parameters(s)) {
        throw InvalidArgumentError(expected_message(std::to_string(total_parameters(s)) + " values (one per parameter)", "update",
                                                    std::to_string(flat_P->numel())));
      }
      std::vector<at::Tensor> delta;
      int64_t offset = 0;
      for (const auto& p : s.model->parameters()) {
        delta.push_back(flat_P->narrow(0, offset, p.numel()).view(p.sizes()));
        offset += p.numel();
      }
      s.trainer->apply_update(delta, alpha);
      return nullptr;
    };
  });
}

Napi::Value AddonEngine::StateFingerprint(const Napi::CallbackInfo& info) {
  return call(info, [&]() -> EngineThread::Job {
    return [state = state_]() -> EngineThread::Resolve {
      EngineState& s = ready(*state);
      const std::string hex = to_hex(state_fingerprint(s.model->specs(), s.model->parameters()));
      return [hex](Napi::Env e) -> Napi::Value { return Napi::String::New(e, hex); };
    };
  });
}

Napi::Value AddonEngine::SaveCheckpoint(const Napi::CallbackInfo& info) {
  return call(info, [&]() -> EngineThread::Job {
    const std::string dir = string_value(info[0], "dir");
    return [state = state_, dir]() -> EngineThread::Resolve {
      EngineState& s = ready(*state);
      std::vector<NamedTensor> tensors;
      for (size_t i = 0; i < s.model->parameters().size(); ++i) {
        tensors.push_back({s.model->specs()[i].name, s.model->parameters()[i].detach().to(at::kCPU, at::kFloat)});
      }
      save_checkpoint(dir, s.model->config(), tensors);  // parameters only: same weights, same bytes
      return nullptr;
    };
  });
}

Napi::Value AddonEngine::LoadCheckpoint(const Napi::CallbackInfo& info) {
  return call(info, [&]() -> EngineThread::Job {
    const std::string dir = string_value(info[0], "dir");
    std::optional<Blake2b256Digest> hash;
    if (!info[1].IsNull() && !info[1].IsUndefined()) hash = blake2b256_from_hex(string_value(info[1], "expectedHash"), "expectedHash");
    return [state = state_, dir, hash]() -> EngineThread::Resolve {
      EngineState& s = ready(*state);
      const Checkpoint checkpoint = load_checkpoint(dir, s.model->config(), hash);  // validates everything first
      std::vector<at::Tensor> values;
      for (const auto& t : checkpoint.tensors) values.push_back(t.tensor);
      s.model->load_parameters(values);
      return nullptr;
    };
  });
}

Napi::Value AddonEngine::Cancel(const Napi::CallbackInfo& info) {
  state_->cancel = true;
  return info.Env().Undefined();
}

Napi::Value AddonEngine::Dispose(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  state_->cancel = true;  // a training call in flight stops at its next step
  return state_->thread->close(env, [state = state_]() -> EngineThread::Resolve {
    state->trainer.reset();
    state->model.reset();
    return nullptr;
  });
}

}  // namespace cohort::addon
