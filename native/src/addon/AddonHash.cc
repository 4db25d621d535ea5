// blake2b256 export (see AddonHash.h).
#include "addon/AddonHash.h"

#include <cstring>
#include <optional>
#include <string>

#include "addon/AddonArgs.h"
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
    std::string path = string_value(info[0], "path");
    std::optional<uint64_t> length;
    if (!is_absent(info[1])) {
      const int64_t n = integer_value(info[1], "length");
      if (n < 0) throw InvalidArgumentError(expected_message("a byte count", "length", std::to_string(n)));
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
