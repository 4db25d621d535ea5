// encodeUpdate (see AddonCodec.h): dense tensors → top-k, 2-bit codes → an unsigned update object.
#include <memory>

#include "addon/AddonArgs.h"
#include "addon/AddonCodec.h"
#include "addon/AddonCodecArgs.h"
#include "addon/AddonCodecValues.h"
#include "addon/AddonPromiseWorker.h"
#include "cohort/codec/encode.h"
#include "cohort/codec/wire.h"
#include "cohort/errors.h"

namespace cohort::addon {
namespace {

struct DenseTensor {
  codec::TensorEntry entry;
  HeldArray<float> data;
};

std::vector<int64_t> shape_value(const Napi::Value& value, const std::string& what) {
  if (!value.IsArray()) throw InvalidArgumentError(expected_message("an array of dimensions", what, "another value"));
  const Napi::Array array = value.As<Napi::Array>();
  std::vector<int64_t> shape;
  for (uint32_t i = 0; i < array.Length(); ++i) shape.push_back(integer_value(array.Get(i), what));
  return shape;
}

std::vector<DenseTensor> dense_tensors_value(const Napi::Value& value) {
  if (!value.IsArray()) throw InvalidArgumentError(expected_message("an array of tensors", "tensors", "another value"));
  const Napi::Array array = value.As<Napi::Array>();
  std::vector<DenseTensor> tensors;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    const std::string what = "tensors[" + std::to_string(i) + "]";
    const Napi::Object o = object_value(array.Get(i), what);
    DenseTensor t;
    t.entry.name = string_value(o.Get("name"), what + ".name");
    t.entry.dtype = dtype_value(o.Get("dtype"), what + ".dtype");
    t.entry.shape = shape_value(o.Get("shape"), what + ".shape");
    t.data = held_floats(o.Get("data"), what + ".data");
    tensors.push_back(std::move(t));
  }
  return tensors;
}

}  // namespace

Napi::Value EncodeUpdate(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  try {
    const std::vector<DenseTensor> tensors = dense_tensors_value(info[0]);
    codec::ObjectHeader header = object_header_value(info[1], true);
    header.codec = codec_params_value(info[2]);
    return run_on_pool(env, [tensors, header]() -> EngineThread::Resolve {
      std::vector<codec::TensorEntry> table;
      std::vector<codec::EncodedTensor> encoded;
      for (const DenseTensor& t : tensors) {
        const codec::ChunkPlan plan(t.entry.shape, header.codec.tile_side, header.codec.topk);
        if (static_cast<int64_t>(t.data.length) != plan.numel()) {
          throw InvalidArgumentError(expected_message(std::to_string(plan.numel()) + " values", "tensor " + t.entry.name,
                                                      std::to_string(t.data.length)));
        }
        table.push_back(t.entry);
        encoded.push_back(codec::encode_tensor(t.data.data, plan));
      }
      auto bytes = std::make_shared<std::vector<uint8_t>>(codec::write_update(header, table, encoded));
      const codec::Bytes32 digest = codec::object_digest(*bytes);
      return [bytes, digest](Napi::Env e) -> Napi::Value {
        Napi::Object o = Napi::Object::New(e);
        o.Set("bytes", bytes_js(e, std::move(*bytes)));
        o.Set("digest", bytes_js(e, digest));
        return o;
      };
    });
  } catch (...) {
    return rejected_promise(env);
  }
}

}  // namespace cohort::addon
