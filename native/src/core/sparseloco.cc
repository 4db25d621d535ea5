// Error feedback, encode and the sparse outer step (see cohort/sparseloco.h).
#include "cohort/sparseloco.h"

#include <c10/core/GradMode.h>

#include <cmath>
#include <cstring>

#include "cohort/errors.h"
#include "codec/encode_checked.h"
#include "codec/fold.h"
#include "codec/parallel_jobs.h"

namespace cohort {

std::vector<codec::TensorEntry> codec_tensor_table(const std::vector<ParamSpec>& specs) {
  std::vector<codec::TensorEntry> table;
  table.reserve(specs.size());
  for (const ParamSpec& s : specs) {
    table.push_back({s.name, codec::DType::kF32, s.shape});
  }
  return table;
}

ErrorFeedback::ErrorFeedback(const std::vector<ParamSpec>& specs) : specs_(specs) { reset(); }

void ErrorFeedback::reset() {
  buffers_.clear();
  for (const ParamSpec& s : specs_) {
    int64_t n = 1;
    for (int64_t d : s.shape) n *= d;
    buffers_.emplace_back(static_cast<size_t>(n), 0.0F);
  }
}

double ErrorFeedback::norm() const {
  double sum = 0.0;
  for (const auto& b : buffers_) {
    for (float v : b) sum += static_cast<double>(v) * v;
  }
  return std::sqrt(sum);
}

void ErrorFeedback::load(const float* values, size_t count) {
  size_t total = 0;
  for (const auto& b : buffers_) total += b.size();
  if (count != total) {
    throw InvalidArgumentError(expected_message(std::to_string(total) + " values (one per parameter)", "error feedback",
                                                std::to_string(count)));
  }
  for (size_t i = 0; i < count; ++i) {
    if (!std::isfinite(values[i])) {
      throw InvalidArgumentError(expected_message("finite values", "error feedback", "a non-finite value"));
    }
  }
  size_t at = 0;
  for (auto& b : buffers_) {
    std::memcpy(b.data(), values + at, b.size() * sizeof(float));
    at += b.size();
  }
}

std::vector<codec::EncodedTensor> ErrorFeedback::fold_and_encode(const std::vector<at::Tensor>& delta, float beta,
                                                                 const codec::CodecParams& codec, int threads) {
  if (delta.size() != specs_.size()) {
    throw InvalidArgumentError(expected_message(std::to_string(specs_.size()) + " tensors", "pseudo-gradient",
                                                std::to_string(delta.size())));
  }
  if (!std::isfinite(beta)) {
    throw InvalidArgumentError(expected_message("a finite β", "error-feedback decay", std::to_string(beta)));
  }
  std::vector<at::Tensor> host;
  std::vector<codec::ChunkPlan> plans;
  std::vector<int64_t> sizes;
  for (size_t i = 0; i < delta.size(); ++i) {
    if (delta[i].sizes() != at::IntArrayRef(specs_[i].shape)) {
      throw InvalidArgumentError(expected_message("the shape of " + specs_[i].name, "pseudo-gradient tensor " + std::to_string(i),
                                                  "another shape"));
    }
    host.push_back(delta[i].detach().to(at::kCPU, at::kFloat).contiguous());
    plans.emplace_back(specs_[i].shape, codec.tile_side, codec.topk);
    sizes.push_back(static_cast<int64_t>(buffers_[i].size()));
  }
  // Validate before touching any buffer: folding into a scratch copy first would double memory, so check
  // that every folded value is finite instead. Tensor by tensor on the job threads; the lowest failing
  // index is reported, as a sequential check would.
  codec::detail::run_jobs(sizes, threads, [&](size_t i) {
    if (!codec::detail::fold_is_finite(buffers_[i].data(), host[i].data_ptr<float>(), beta, sizes[i])) {
      throw InvalidArgumentError(expected_message("finite values", "error feedback β·e + Δ of " + specs_[i].name,
                                                  "a non-finite value"));
    }
  });
  // Each tensor's encode reads and writes only its own buffers: the same bytes on any number of threads.
  std::vector<codec::EncodedTensor> out(delta.size());
  codec::detail::run_jobs(sizes, threads, [&](size_t i) {
    out[i] = codec::detail::encode_with_feedback_checked(buffers_[i].data(), host[i].data_ptr<float>(), beta, plans[i]);
  });
  return out;
}

void apply_aggregate(const std::vector<ParamSpec>& specs, const std::vector<at::Tensor>& params,
                     const codec::Aggregate& aggregate, double alpha) {
  if (!std::isfinite(alpha)) {
    throw InvalidArgumentError(expected_message("a finite outer learning rate", "alpha", std::to_string(alpha)));
  }
  if (aggregate.model_fingerprint != codec::model_fingerprint(codec_tensor_table(specs))) {
    throw InvalidArgumentError(expected_message("an aggregate of this model", "aggregate", "another model fingerprint"));
  }
  c10::NoGradGuard no_grad;
  for (size_t i = 0; i < params.size(); ++i) {
    const codec::AggregateTensor& t = aggregate.tensors[i];
    const auto n = static_cast<int64_t>(t.indices.size());
    if (n == 0) continue;
    at::Tensor index = at::empty({n}, at::kLong);
    int64_t* ip = index.data_ptr<int64_t>();
    for (int64_t j = 0; j < n; ++j) ip[j] = t.indices[static_cast<size_t>(j)];
    at::Tensor values = at::empty({n}, at::kFloat);
    std::memcpy(values.data_ptr<float>(), t.values.data(), static_cast<size_t>(n) * sizeof(float));
    at::Tensor flat = params[i].view({-1});
    flat.index_add_(0, index.to(flat.device()), values.to(flat.device(), flat.scalar_type()), -alpha);
  }
}

}  // namespace cohort
