// The glue between a model replica and the codec (protocol §3, §6): each replica's error-feedback buffers,
// the encode step that turns a pseudo-gradient into an update object, and the outer step that applies an
// aggregate sparsely. libtorch lives here; the codec itself (cohort/codec/*) is plain C++.
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "cohort/codec/aggregate.h"
#include "cohort/codec/wire.h"
#include "cohort/model_config.h"

namespace cohort {

// The wire-format tensor table of a model (parameters in canonical order, fp32 master dtype); its
// BLAKE2b-256 is the model fingerprint every update and aggregate carries.
std::vector<codec::TensorEntry> codec_tensor_table(const std::vector<ParamSpec>& specs);

// Whether e can live on `device` and be encoded there (ErrorFeedback's device mode): a CUDA device, with the
// codec kernels compiled in and torch's current stream the default one (where the kernels launch).
bool device_encode_supported(at::Device device);

// One replica's error-feedback state e (fp32, one buffer per parameter), zero at start. On the CPU the
// buffers are host memory and each tensor is encoded on the codec's job threads; on a CUDA device
// (device_encode_supported) they stay in device memory and the whole model is encoded in one batch
// (ADR 0020): Δ never leaves the GPU, only the payload's indices and codes come back.
class ErrorFeedback {
 public:
  // Throws InvalidArgumentError when `device` is neither the CPU nor a device_encode_supported() one.
  explicit ErrorFeedback(const std::vector<ParamSpec>& specs, at::Device device = at::kCPU);

  // e ← fma(β, e, Δ) per parameter, then top-k + quantization per tensor, then e ← e − decode(payload).
  // `delta` in parameter order, any float dtype and device. Validates every tensor (shape, finiteness)
  // before changing any buffer, so a bad Δ leaves e as it was. The same payload and the same e on any
  // device and with any number of `threads` (CPU: 0 is one per hardware thread).
  std::vector<codec::EncodedTensor> fold_and_encode(const std::vector<at::Tensor>& delta, float beta,
                                                    const codec::CodecParams& codec, int threads = 0);

  at::Device device() const { return device_; }
  // ‖e‖₂ over every buffer (fp64): how much signal is still waiting to be sent.
  double norm() const;
  void reset();

  // Parameters' element count (the length of the persisted state).
  size_t size() const;
  // Copies e into `out` (size() floats, canonical order): what a worker persists across restarts.
  void copy_to(float* out) const;
  // e as host buffers, one per parameter (a copy).
  std::vector<std::vector<float>> buffers() const;
  // Replace e with `count` fp32 values in canonical order (a persisted state); throws InvalidArgumentError
  // when `count` is not the parameter count or a value is not finite, and then leaves e as it was.
  void load(const float* values, size_t count);

 private:
  std::vector<codec::EncodedTensor> fold_and_encode_on_device(const std::vector<at::Tensor>& delta, float beta,
                                                              const codec::CodecParams& codec);

  std::vector<ParamSpec> specs_;
  at::Device device_;
  std::vector<at::Tensor> buffers_;  // e per parameter: fp32, flat, on device_
};

// θ ← θ − α·A for an aggregate whose tensor table matches `specs` (throws InvalidArgumentError otherwise):
// each parameter is updated only at the aggregate's indices.
void apply_aggregate(const std::vector<ParamSpec>& specs, const std::vector<at::Tensor>& params,
                     const codec::Aggregate& aggregate, double alpha);

}  // namespace cohort
