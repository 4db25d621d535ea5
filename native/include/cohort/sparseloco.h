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

// One replica's error-feedback state e (fp32, host memory, one buffer per parameter), zero at start.
class ErrorFeedback {
 public:
  explicit ErrorFeedback(const std::vector<ParamSpec>& specs);

  // e ← fma(β, e, Δ) per parameter, then top-k + quantization per tensor, then e ← e − decode(payload).
  // `delta` in parameter order, any float dtype and device. Validates every tensor (shape, finiteness)
  // before changing any buffer, so a bad Δ leaves e as it was. Tensors are encoded on up to `threads`
  // threads (0: one per hardware thread): the same bytes and the same e whatever the count.
  std::vector<codec::EncodedTensor> fold_and_encode(const std::vector<at::Tensor>& delta, float beta,
                                                    const codec::CodecParams& codec, int threads = 0);

  // ‖e‖₂ over every buffer (fp64): how much signal is still waiting to be sent.
  double norm() const;
  void reset();

  // e as stored, one buffer per parameter in canonical order: what a worker persists across restarts.
  const std::vector<std::vector<float>>& buffers() const { return buffers_; }
  // Replace e with `count` fp32 values in canonical order (a persisted state); throws InvalidArgumentError
  // when `count` is not the parameter count or a value is not finite, and then leaves e as it was.
  void load(const float* values, size_t count);

 private:
  std::vector<ParamSpec> specs_;
  std::vector<std::vector<float>> buffers_;
};

// θ ← θ − α·A for an aggregate whose tensor table matches `specs` (throws InvalidArgumentError otherwise):
// each parameter is updated only at the aggregate's indices.
void apply_aggregate(const std::vector<ParamSpec>& specs, const std::vector<at::Tensor>& params,
                     const codec::Aggregate& aggregate, double alpha);

}  // namespace cohort
