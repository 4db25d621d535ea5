// blake2b256 export (see AddonHash.h).
#include "addon/AddonHash.h"

#include <cstring>

#include "addon/AddonCodec.h"
#include "addon/AddonCodecArgs.h"
#include "addon/AddonPromiseWorker.h"
#include "cohort/blake2b.h"

namespace cohort::addon {

Napi::Value AddonBlake2b256(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  try {
    const HeldArray<uint8_t> bytes = held_bytes(info[0], "bytes");
    return run_on_pool(env, [bytes]() -> EngineThread::Resolve {
      const Blake2b256Digest digest = blake2b256(bytes.data, bytes.length);
      return [digest](Napi::Env e) -> Napi::Value {
        Napi::Uint8Array out = Napi::Uint8Array::New(e, digest.size());
        std::memcpy(out.Data(), digest.data(), digest.size());
        return out;
      };
    });
  } catch (...) {
    return rejected_promise(env);
  }
}

}  // namespace cohort::addon
