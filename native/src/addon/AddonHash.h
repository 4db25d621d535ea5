// blake2b256(bytes) → Promise<Uint8Array>: BLAKE2b-256 of large byte arrays (error-feedback state, payloads,
// checkpoint objects) on a libuv pool thread, so hashing gigabytes never blocks the event loop.
#pragma once

#include <napi.h>

namespace cohort::addon {

// The `blake2b256` export. Reads the Uint8Array in place (held until the hash is done); never throws: a bad
// argument rejects the Promise with a named error.
Napi::Value AddonBlake2b256(const Napi::CallbackInfo& info);

// The `blake2b256File(path, length?)` export: the digest of the file's first `length` bytes (all of it when
// absent), read in chunks on a pool thread, for objects too large for one JavaScript buffer (4 GiB). A
// missing path or a file shorter than `length` rejects with InvalidArgumentError.
Napi::Value AddonBlake2b256File(const Napi::CallbackInfo& info);

}  // namespace cohort::addon
