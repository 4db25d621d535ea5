// aggregateUpdates (see AddonCodec.h): decode the selection, exclude what fails, aggregate the rest.
//
// An update is excluded, in this order of checks, when it: fails to decode (its codec reason); carries a
// signature the TS layer found invalid (BAD_SIGNATURE); was computed from another θ_w than the header's
// stateFingerprint, when the header names one (WRONG_STATE: applied to θ_w it would move replicas in a
// direction computed from a state they do not hold); has another model fingerprint than the expected one,
// or without an expectation than the one most included updates share (WRONG_MODEL); has other tile side or
// top-k than most included updates (BAD_CODEC_PARAMS; ties go to the earliest in selection order); or
// repeats a hotkey already included (BAD_CONTRIBUTORS). The rest are aggregated in selection order. A null
// header stateFingerprint takes the θ_w fingerprint most included updates share (ties: the earliest).
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "addon/AddonArgs.h"
#include "addon/AddonCodec.h"
#include "addon/AddonCodecArgs.h"
#include "addon/AddonCodecValues.h"
#include "addon/AddonPromiseWorker.h"
#include "cohort/blake2b.h"
#include "cohort/codec/aggregate.h"
#include "cohort/errors.h"

namespace cohort::addon {
namespace {

struct Candidate {
  std::optional<codec::DecodedUpdate> update;
  std::optional<Rejection> rejection;
};

struct AggregateOutcome {
  std::vector<Candidate> candidates;
  std::optional<std::vector<uint8_t>> bytes;
  codec::Bytes32 digest{};
};

bool included(const Candidate& c) { return c.update.has_value() && !c.rejection.has_value(); }

// The key most included candidates share; ties go to the earliest candidate.
template <typename Key, typename KeyOf>
std::optional<Key> most_common(const std::vector<Candidate>& candidates, KeyOf key_of) {
  std::map<Key, std::pair<size_t, size_t>> seen;  // key → (count, first index)
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!included(candidates[i])) continue;
    auto [it, fresh] = seen.try_emplace(key_of(*candidates[i].update), 0, i);
    ++it->second.first;
  }
  std::optional<Key> best;
  std::pair<size_t, size_t> best_rank{0, 0};
  for (const auto& [key, rank] : seen) {
    if (!best || rank.first > best_rank.first || (rank.first == best_rank.first && rank.second < best_rank.second)) {
      best = key;
      best_rank = rank;
    }
  }
  return best;
}

void exclude_mismatches(std::vector<Candidate>& candidates, const std::optional<codec::Bytes32>& expected_model) {
  const auto model_of = [](const codec::DecodedUpdate& u) { return u.model_fingerprint; };
  const std::optional<codec::Bytes32> model =
      expected_model ? expected_model : most_common<codec::Bytes32>(candidates, model_of);
  for (Candidate& c : candidates) {
    if (included(c) && c.update->model_fingerprint != *model) {
      c.rejection = Rejection{"WRONG_MODEL", "model " + to_hex(c.update->model_fingerprint) +
                                                 " differs from the aggregate's " + to_hex(*model)};
    }
  }
  using Geometry = std::pair<int, int>;
  const auto geometry_of = [](const codec::DecodedUpdate& u) {
    return Geometry{u.header.codec.tile_side, u.header.codec.topk};
  };
  const std::optional<Geometry> geometry = most_common<Geometry>(candidates, geometry_of);
  std::map<codec::Bytes32, size_t> hotkeys;
  for (size_t i = 0; i < candidates.size(); ++i) {
    Candidate& c = candidates[i];
    if (!included(c)) continue;
    if (geometry_of(*c.update) != *geometry) {
      c.rejection = Rejection{"BAD_CODEC_PARAMS", "tile " + std::to_string(c.update->header.codec.tile_side) +
                                                      ", top-k " + std::to_string(c.update->header.codec.topk) +
                                                      " differ from the aggregate's " + std::to_string(geometry->first) +
                                                      ", " + std::to_string(geometry->second)};
    } else if (const auto [it, fresh] = hotkeys.try_emplace(c.update->header.hotkey, i); !fresh) {
      c.rejection = Rejection{"BAD_CONTRIBUTORS", "hotkey " + to_hex(c.update->header.hotkey) +
                                                      " is already included as object " + std::to_string(it->second)};
    }
  }
}

Napi::Array contributors_js(Napi::Env env, const std::vector<Candidate>& candidates) {
  Napi::Array out = Napi::Array::New(env, candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = candidates[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("index", static_cast<double>(i));
    o.Set("included", included(c));
    o.Set("reason", c.rejection ? Napi::Value(Napi::String::New(env, c.rejection->reason)) : env.Null());
    o.Set("detail", c.rejection ? Napi::Value(Napi::String::New(env, c.rejection->detail)) : env.Null());
    o.Set("hotkey", c.update ? Napi::Value(bytes_js(env, c.update->header.hotkey)) : env.Null());
    o.Set("digest", c.update ? Napi::Value(bytes_js(env, c.update->digest)) : env.Null());
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

}  // namespace

Napi::Value AggregateUpdates(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  try {
    if (!info[0].IsArray() || !info[1].IsArray()) {
      throw InvalidArgumentError(expected_message("arrays", "objects and signatureValid", "another value"));
    }
    const Napi::Array objects_js = info[0].As<Napi::Array>();
    const Napi::Array valid_js = info[1].As<Napi::Array>();
    if (valid_js.Length() != objects_js.Length()) {
      throw InvalidArgumentError(expected_message(std::to_string(objects_js.Length()) + " flags", "signatureValid",
                                                  std::to_string(valid_js.Length())));
    }
    std::vector<HeldArray<uint8_t>> objects;
    std::vector<bool> signature_valid;
    for (uint32_t i = 0; i < objects_js.Length(); ++i) {
      objects.push_back(held_bytes(objects_js.Get(i), "objects[" + std::to_string(i) + "]"));
      signature_valid.push_back(boolean_value(valid_js.Get(i), "signatureValid[" + std::to_string(i) + "]"));
    }
    bool pick_state = false;
    const codec::ObjectHeader header = object_header_value(info[2], false, &pick_state);
    const codec::Expectations expect = expectations_value(info[3]);
    std::vector<std::optional<codec::Bytes32>> hotkeys(objects.size());
    if (const Napi::Value v = object_value(info[3], "expect").Get("hotkeys"); !is_absent(v)) {
      if (!v.IsArray() || v.As<Napi::Array>().Length() != objects.size()) {
        throw InvalidArgumentError(expected_message("one hotkey per object", "expect.hotkeys", "another value"));
      }
      for (uint32_t i = 0; i < objects.size(); ++i) {
        hotkeys[i] = bytes32_value(v.As<Napi::Array>().Get(i), "expect.hotkeys[" + std::to_string(i) + "]");
      }
    }
    const codec::DecodeLimits limits = decode_limits_value(info[4]);
    const int64_t version = integer_value(info[5], "formatVersion");
    if (version != 1 && version != codec::kAggregateFormatVersion) {
      throw InvalidArgumentError(expected_message("1 or 2", "formatVersion", std::to_string(version)));
    }
    std::optional<std::vector<double>> clip_to;
    if (!is_absent(info[6])) {
      if (!info[6].IsArray()) throw InvalidArgumentError(expected_message("an array or null", "clipTo", "another value"));
      const Napi::Array a = info[6].As<Napi::Array>();
      clip_to.emplace();
      for (uint32_t t = 0; t < a.Length(); ++t) clip_to->push_back(number_value(a.Get(t), "clipTo[" + std::to_string(t) + "]"));
    }
    return run_on_pool(env, [objects, signature_valid, header, pick_state, expect, hotkeys, limits, version,
                             clip_to]() -> EngineThread::Resolve {
      auto out = std::make_shared<AggregateOutcome>();
      out->candidates.resize(objects.size());
      for (size_t i = 0; i < objects.size(); ++i) {
        Candidate& c = out->candidates[i];
        codec::Expectations each = expect;
        if (hotkeys[i]) each.hotkey = hotkeys[i];
        try {
          c.update = codec::decode_update(objects[i].data, objects[i].length, limits, each);
          if (!signature_valid[i]) {
            c.rejection = Rejection{"BAD_SIGNATURE", "the sr25519 signature does not verify for hotkey " +
                                                         to_hex(c.update->header.hotkey)};
          } else if (!pick_state && c.update->header.state_fingerprint != header.state_fingerprint) {
            c.rejection = Rejection{"WRONG_STATE", "computed from state " +
                                                       to_hex(c.update->header.state_fingerprint) +
                                                       ", the aggregate's θ_w is " +
                                                       to_hex(header.state_fingerprint)};
          }
        } catch (const codec::CodecError& e) {
          c.rejection = rejection_of(e);
        }
      }
      exclude_mismatches(out->candidates, expect.model_fingerprint);
      std::vector<const codec::DecodedUpdate*> selected;
      for (const Candidate& c : out->candidates) {
        if (included(c)) selected.push_back(&*c.update);
      }
      if (!selected.empty()) {
        codec::ObjectHeader h = header;
        if (pick_state) {
          const auto state_of = [](const codec::DecodedUpdate& u) { return u.header.state_fingerprint; };
          h.state_fingerprint = *most_common<codec::Bytes32>(out->candidates, state_of);
        }
        codec::Aggregate aggregate = codec::aggregate_updates(h, selected, clip_to ? &*clip_to : nullptr);
        aggregate.format_version = static_cast<uint8_t>(version);
        out->bytes = codec::write_aggregate(aggregate);
        out->digest = codec::object_digest(*out->bytes);
      }
      for (Candidate& c : out->candidates) {
        if (c.update) c.update->tensors = {};  // keep header and digest for the result, free the bulk
      }
      return [out](Napi::Env e) -> Napi::Value {
        Napi::Object o = Napi::Object::New(e);
        o.Set("bytes", out->bytes ? Napi::Value(bytes_js(e, std::move(*out->bytes))) : e.Null());
        o.Set("digest", out->bytes ? Napi::Value(bytes_js(e, out->digest)) : e.Null());
        o.Set("contributors", contributors_js(e, out->candidates));
        return o;
      };
    });
  } catch (...) {
    return rejected_promise(env);
  }
}

}  // namespace cohort::addon
