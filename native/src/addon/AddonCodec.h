// The SparseLoCo codec exports (cohort/codec/*.h) for ts/codec.ts. Every call parses its arguments on the JS
// thread, does the codec work on libuv's pool (run_on_pool) and returns a Promise. Untrusted bytes are read
// in place (the caller must not modify them until the Promise settles). A rejection of untrusted bytes is a
// result ({ok: false, reason, detail}, or an excluded contributor), never an exception; only programming
// errors (bad arguments, a broken invariant) reject the Promise with a named error.
#pragma once

#include <napi.h>

namespace cohort::addon {

// decodeUpdate(bytes, expect, limits, materialize) → Promise<{ok: true, summary, tensors | null} |
// {ok: false, reason, detail}>. `materialize` adds each tensor's flat ascending indices and dequantized
// values. The signature is returned, not verified (the TS layer verifies it).
Napi::Value DecodeUpdate(const Napi::CallbackInfo& info);

// decodeAggregate(bytes, expect, limits) → Promise<{ok: true, summary, contributors, tensors} |
// {ok: false, reason, detail}>.
Napi::Value DecodeAggregate(const Napi::CallbackInfo& info);

// aggregateUpdates(objects, signatureValid, header, expect, limits, formatVersion, clipTo) →
// Promise<{bytes, digest, contributors}>: decodes every object, excludes the invalid ones with their reason,
// aggregates the rest in the given (selection) order into an unsigned aggregate object. bytes and digest are
// null when none is valid. clipTo: null, or one clip reference per tensor replacing the peers' median norm.
Napi::Value AggregateUpdates(const Napi::CallbackInfo& info);

// encodeUpdate(tensors, header, codec) → Promise<{bytes, digest}>: dense tensors encoded as they are (no
// error feedback) into an unsigned update object. For tests and tools.
Napi::Value EncodeUpdate(const Napi::CallbackInfo& info);

// A Promise rejected with the exception being handled; call only inside a catch block.
Napi::Value rejected_promise(Napi::Env env);

}  // namespace cohort::addon
