// blake2b256 export (see AddonHash.h).
#include "addon/AddonHash.h"

#include <cstring>
#include <optional>
#include <string>

#include "addon/AddonCodec.h"
#include "addon/AddonCodecArgs.h"
#include "addon/AddonPromiseWorker.h"
#include "cohort/blake2b.h"
#include "core/file_hash.h"

namespace cohort::addon {
namespace {

// Resolves the Promise with the digest as a 32-byte Uint8Array.
EngineThread::Resolve digest_result(const Blake2b256Digest& digest) {
  return [digest](Napi::Env e) -> Napi::Value {
    Napi::Uint8Array out = Napi::Uint8Array::New(e, digest.size());
    std::memcpy(out.Data(), digest.data(), digest.size());
    return out;
  };
}

}  // namespace

Napi::Value AddonBlake2b256(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  try {
    const HeldArray<uint8_t> bytes = held_bytes(info[0], "bytes");
    return run_on_pool(env, [bytes]() -> EngineThread::Resolve {
      const Blake2b256Digest digest = blake2b256(bytes.data, bytes.length);
      return digest_result(digest);
    });
  } catch (...) {
    return rejected_promise(env);
  }
}

Napi::Value AddonBlake2b256File(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  try {
    if (!info[0].IsString()) throw InvalidArgumentError(expected_message("a path", "path", "another value"));
    std::string path = info[0].As<Napi::String>().Utf8Value();
    std::optional<uint64_t> length;
    if (!is_absent(info[1])) {
      const double n = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1.0;
      if (!(n >= 0 && n <= 9007199254740991.0) || n != static_cast<double>(static_cast<uint64_t>(n))) {
        throw InvalidArgumentError(expected_message("a byte count", "length", "another value"));
      }
      length = static_cast<uint64_t>(n);
    }
    return run_on_pool(env, [path = std::move(path), length]() -> EngineThread::Resolve {
      const io::ReadOnlyFile file(path);
      const Blake2b256Digest digest = io::file_blake2b256(file, length.value_or(file.size()));
      return digest_result(digest);
    });
  } catch (...) {
    return rejected_promise(env);
  }
}

}  // namespace cohort::addon
