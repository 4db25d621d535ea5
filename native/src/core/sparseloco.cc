// Error feedback, encode and the sparse outer step (see cohort/sparseloco.h).
#include "cohort/sparseloco.h"

#include <c10/core/DeviceGuard.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <cstring>

#include "cohort/errors.h"
#include "codec/encode_checked.h"
#include "codec/fold.h"
#include "codec/parallel_jobs.h"
#include "core/device_encode.h"
#include "core/fused_ops.h"

namespace cohort {

std::vector<codec::TensorEntry> codec_tensor_table(const std::vector<ParamSpec>& specs) {
  std::vector<codec::TensorEntry> table;
  table.reserve(specs.size());
  for (const ParamSpec& s : specs) {
    table.push_back({s.name, codec::DType::kF32, s.shape});
  }
  return table;
}

bool device_encode_supported(at::Device device) {
  // The codec kernels and the fused ops launch alike: on the default stream of a CUDA device.
  return device.is_cuda() && fused_ops_supported(device, at::kFloat);
}

ErrorFeedback::ErrorFeedback(const std::vector<ParamSpec>& specs, at::Device device) : specs_(specs), device_(device) {
  if (!device_.is_cpu() && !device_encode_supported(device_)) {
    throw InvalidArgumentError(expected_message("the CPU, or a CUDA device with the codec kernels compiled in",
                                                "error-feedback device", device_.str()));
  }
  reset();
}

void ErrorFeedback::reset() {
  buffers_.clear();
  for (const ParamSpec& s : specs_) {
    buffers_.push_back(at::zeros({s.numel()}, at::TensorOptions().dtype(at::kFloat).device(device_)));
  }
}

size_t ErrorFeedback::size() const {
  size_t total = 0;
  for (const ParamSpec& s : specs_) total += static_cast<size_t>(s.numel());
  return total;
}

double ErrorFeedback::norm() const {
  double sum = 0.0;
  for (const at::Tensor& b : buffers_) {
    if (b.is_cpu()) {
      const float* v = b.data_ptr<float>();
      for (int64_t i = 0; i < b.numel(); ++i) sum += static_cast<double>(v[i]) * v[i];
    } else {
      // On the device, in fp64 there (a metric: its last bits may differ from the CPU's sequential sum).
      sum += b.to(at::kDouble).square().sum().item<double>();
    }
  }
  return std::sqrt(sum);
}

void ErrorFeedback::copy_to(float* out) const {
  size_t at = 0;
  for (const at::Tensor& b : buffers_) {
    const at::Tensor host = b.cpu();  // the buffer itself when e lives on the CPU
    std::memcpy(out + at, host.data_ptr<float>(), static_cast<size_t>(host.numel()) * sizeof(float));
    at += static_cast<size_t>(host.numel());
  }
}

std::vector<std::vector<float>> ErrorFeedback::buffers() const {
  std::vector<std::vector<float>> out;
  for (const at::Tensor& b : buffers_) {
    const at::Tensor host = b.cpu();
    const float* v = host.data_ptr<float>();
    out.emplace_back(v, v + host.numel());
  }
  return out;
}

void ErrorFeedback::load(const float* values, size_t count) {
  const size_t total = size();
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
  for (at::Tensor& b : buffers_) {
    b.copy_(at::from_blob(const_cast<float*>(values + at), {b.numel()}, at::kFloat));
    at += static_cast<size_t>(b.numel());
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
  for (size_t i = 0; i < delta.size(); ++i) {
    if (delta[i].sizes() != at::IntArrayRef(specs_[i].shape)) {
      throw InvalidArgumentError(expected_message("the shape of " + specs_[i].name, "pseudo-gradient tensor " + std::to_string(i),
                                                  "another shape"));
    }
  }
  if (!device_.is_cpu()) return fold_and_encode_on_device(delta, beta, codec);
  std::vector<at::Tensor> host;
  std::vector<codec::ChunkPlan> plans;
  std::vector<int64_t> sizes;
  for (size_t i = 0; i < delta.size(); ++i) {
    host.push_back(delta[i].detach().to(at::kCPU, at::kFloat).contiguous());
    plans.emplace_back(specs_[i].shape, codec.tile_side, codec.topk);
    sizes.push_back(buffers_[i].numel());
  }
  // Validate before touching any buffer: folding into a scratch copy first would double memory, so check
  // that every folded value is finite instead. Tensor by tensor on the job threads; the lowest failing
  // index is reported, as a sequential check would.
  codec::detail::run_jobs(sizes, threads, [&](size_t i) {
    if (!codec::detail::fold_is_finite(buffers_[i].data_ptr<float>(), host[i].data_ptr<float>(), beta, sizes[i])) {
      throw InvalidArgumentError(expected_message("finite values", "error feedback β·e + Δ of " + specs_[i].name,
                                                  "a non-finite value"));
    }
  });
  // Each tensor's encode reads and writes only its own buffers: the same bytes on any number of threads.
  std::vector<codec::EncodedTensor> out(delta.size());
  codec::detail::run_jobs(sizes, threads, [&](size_t i) {
    out[i] = codec::detail::encode_with_feedback_checked(buffers_[i].data_ptr<float>(), host[i].data_ptr<float>(), beta, plans[i]);
  });
  return out;
}

std::vector<codec::EncodedTensor> ErrorFeedback::fold_and_encode_on_device(const std::vector<at::Tensor>& delta, float beta,
                                                                           const codec::CodecParams& codec) {
#if defined(COHORT_HAVE_CUDA_KERNELS)
  if (!device_encode_supported(device_)) {
    throw IllegalStateError("the error feedback lives on " + device_.str() + ", where the codec kernels cannot launch now");
  }
  const c10::DeviceGuard guard(device_);
  c10::NoGradGuard no_grad;
  std::vector<codec::ChunkPlan> plans;
  std::vector<at::Tensor> d;
  std::vector<at::Tensor> next;
  std::vector<detail::DeviceEncodeBuffers> buffers;
  for (size_t i = 0; i < delta.size(); ++i) {
    plans.emplace_back(specs_[i].shape, codec.tile_side, codec.topk);
    d.push_back(delta[i].detach().to(device_, at::kFloat).contiguous().view({-1}));
    next.push_back(at::empty_like(buffers_[i]));
    buffers.push_back({buffers_[i].data_ptr<float>(), d.back().data_ptr<float>(), next.back().data_ptr<float>()});
  }
  // d and next were made on torch's current stream, the default one (device_encode_supported), where the
  // kernels launch; encode_on_device synchronizes it before returning.
  std::vector<codec::EncodedTensor> out;
  if (!detail::encode_on_device(plans, buffers, beta, nullptr, out)) {
    throw InvalidArgumentError(expected_message("finite values", "error feedback β·e + Δ", "a non-finite value"));
  }
  buffers_ = std::move(next);  // e was never written: it is replaced only on success
  return out;
#else
  (void)delta;
  (void)beta;
  (void)codec;
  throw IllegalStateError("the codec kernels were not compiled in");
#endif
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
