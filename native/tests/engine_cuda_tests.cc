// Engine tests on a CUDA device (through libtorch; skipped with exit 77 when none is present): the fp32 model
// and trainer agree with the CPU, bf16 training learns, the fused AdamW kernel matches the portable update,
// the fused model ops' kernels (swiglu, rope_qkv, rms_norm, cross_entropy) match their CPU twins forward
// and backward, and the error feedback encodes on the GPU exactly as on the CPU.
// Shape legend: N sequences, T sequence length.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "cohort/adamw.h"
#include "cohort/errors.h"
#include "cohort/sparseloco.h"
#include "cohort/state_fingerprint.h"
#include "cohort/trainer.h"
#include "core/fused_ops.h"
#include "core/rope.h"
#include "test_harness.h"
#include "test_models.h"

namespace {

cohort::ModelConfig tiny() { return cohort::test::tiny_config({64, 32, 4, 2, 64, 32}); }

cohort::TrainerConfig fast() { return cohort::test::fast_trainer(3e-3, 4); }

at::Tensor tokens(int64_t N, int64_t T, uint64_t seed) { return cohort::test::random_tokens(N, T, 64, seed); }

const cohort::ModelPlacement kCudaF32{at::Device(at::kCUDA), at::kFloat, at::kFloat};
const cohort::ModelPlacement kCudaBf16{at::Device(at::kCUDA), at::kFloat, at::kBFloat16};

cohort::ModelPlacement fused(cohort::ModelPlacement placement) {
  placement.fused_ops = true;
  return placement;
}

at::Tensor randn(at::IntArrayRef sizes, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn(sizes, gen, at::kFloat);
}

// Runs op on CPU copies and CUDA copies of `inputs` (cast to `dtype`; float `keep_fp32` ones stay fp32),
// backpropagates sum(out · probe) on both, and requires outputs and input gradients to agree within `tol`
// relative to each tensor's largest magnitude.
template <typename Op>
void require_cuda_matches_twin(const std::vector<at::Tensor>& inputs, const std::vector<bool>& keep_fp32,
                               at::ScalarType dtype, double tol, const char* what, Op&& op) {
  std::vector<at::Tensor> results[2];
  for (const bool cuda : {false, true}) {
    std::vector<at::Tensor> leaves;
    for (size_t i = 0; i < inputs.size(); ++i) {
      at::Tensor x = inputs[i].to(keep_fp32[i] ? at::kFloat : dtype);
      if (cuda) x = x.cuda();
      leaves.push_back(x.detach().set_requires_grad(true));
    }
    const std::vector<at::Tensor> outs = op(leaves);
    at::Tensor total = at::zeros({}, leaves[0].options().dtype(at::kFloat));
    for (size_t i = 0; i < outs.size(); ++i) {
      const at::Tensor probe = randn(outs[i].sizes(), 100 + i).to(outs[i].device());
      total = total + (outs[i].to(at::kFloat) * probe).sum();
    }
    total.backward();
    for (const auto& out : outs) results[cuda].push_back(out.detach().cpu().to(at::kDouble));
    for (const auto& leaf : leaves) results[cuda].push_back(leaf.grad().cpu().to(at::kDouble));
  }
  for (size_t i = 0; i < results[0].size(); ++i) {
    const double scale = results[0][i].abs().max().item<double>() + 1e-30;
    const double diff = (results[1][i] - results[0][i]).abs().max().item<double>() / scale;
    std::printf("  %s tensor %zu: max difference %.2e of its largest value\n", what, i, diff);
    if (!(diff <= tol)) cohort::test::fail(__FILE__, __LINE__, std::string(what) + ": tensor " + std::to_string(i) + " differs by " + std::to_string(diff));
  }
}

}  // namespace

COHORT_TEST(fp32_training_on_cuda_agrees_with_the_cpu) {
  cohort::LlamaModel cpu(tiny(), 11), gpu(tiny(), 11, kCudaF32);
  cohort::Trainer tc(cpu, fast()), tg(gpu, fast());
  const at::Tensor data_NT = tokens(12, 24, 2);
  const auto rc = tc.train_inner(data_NT, 3);
  const auto rg = tg.train_inner(data_NT, 3);
  for (size_t i = 0; i < rc.losses.size(); ++i) {
    REQUIRE(std::isfinite(rg.losses[i]));
    REQUIRE_NEAR(rg.losses[i], rc.losses[i], 1e-3);
  }
  for (size_t i = 0; i < cpu.parameters().size(); ++i) {
    REQUIRE(at::allclose(gpu.parameters()[i].cpu(), cpu.parameters()[i], 1e-3, 1e-4));
  }
}

COHORT_TEST(bf16_training_on_cuda_learns_a_fixed_batch) {
  cohort::LlamaModel model(tiny(), 3, kCudaBf16);
  cohort::Trainer trainer(model, fast());
  const at::Tensor batch_NT = tokens(8, 24, 4);
  const double before = trainer.eval_loss(batch_NT, 8);
  double last = 0;
  for (int i = 0; i < 30; ++i) {
    last = trainer.step(batch_NT).first;
    if (!std::isfinite(last)) cohort::test::fail(__FILE__, __LINE__, "non-finite loss at step " + std::to_string(i));
  }
  std::printf("  bf16: loss %.4f -> %.4f\n", before, last);
  REQUIRE(last < 0.6 * before);
}

COHORT_TEST(fused_adamw_on_cuda_matches_the_portable_update) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(9);
  for (const double weight_decay : {0.0, 0.1}) {
    cohort::AdamWGroup cpu, gpu;
    cpu.weight_decay = gpu.weight_decay = weight_decay;
    for (const int64_t n : {int64_t{7}, int64_t{1000}}) {
      at::Tensor p = at::randn({n}, gen, at::kFloat);
      at::Tensor g = at::randn({n}, gen, at::kFloat);
      at::Tensor pc = p.clone().set_requires_grad(true), pg = p.cuda().set_requires_grad(true);
      pc.mutable_grad() = g.clone();
      pg.mutable_grad() = g.cuda();
      cpu.params.push_back(pc);
      gpu.params.push_back(pg);
      for (auto* group : {&cpu, &gpu}) {
        const at::Tensor& ref = group == &cpu ? pc : pg;
        group->exp_avg.push_back(at::zeros_like(ref).detach());
        group->exp_avg_sq.push_back(at::zeros_like(ref).detach());
        group->state_steps.push_back(at::zeros({}, ref.options().dtype(at::kFloat)).detach());
      }
    }
    for (int64_t step = 1; step <= 3; ++step) {
      const cohort::AdamWStep hp{1e-2, 0.9, 0.95, 1e-8, weight_decay, step};
      cohort::adamw_step(cpu, hp);
      cohort::adamw_step(gpu, hp);
    }
    c10::NoGradGuard no_grad;
    for (size_t i = 0; i < cpu.params.size(); ++i) {
      REQUIRE(at::allclose(gpu.params[i].cpu(), cpu.params[i], 1e-5, 1e-6));
      REQUIRE(at::allclose(gpu.exp_avg_sq[i].cpu(), cpu.exp_avg_sq[i], 1e-5, 1e-8));
    }
  }
}

COHORT_TEST(bf16_training_on_cuda_is_repeatable_bit_for_bit) {
  cohort::Blake2b256Digest fingerprints[2];
  for (auto& fingerprint : fingerprints) {
    cohort::LlamaModel model(tiny(), 21, kCudaBf16);
    cohort::Trainer trainer(model, fast());
    trainer.train_inner(tokens(16, 24, 6), 4);
    fingerprint = cohort::state_fingerprint(model.specs(), model.parameters());
  }
  REQUIRE(fingerprints[0] == fingerprints[1]);
}

COHORT_TEST(fused_op_kernels_match_their_cpu_twins) {
  REQUIRE(cohort::fused_ops_supported(at::Device(at::kCUDA), at::kBFloat16));
  // bf16: the twins compute in fp32 as the kernels do; differences are libm's last bit, then one bf16 rounding.
  for (const auto dtype : {at::kFloat, at::kBFloat16}) {
    const double tol = dtype == at::kFloat ? 1e-5 : 1e-2;
    // SwiGLU: many rows (past the grid's y cap of 65535) and a width that leaves a partial block (300: whole
    // 16-byte packs in fp32, single columns in bf16), then a LLaMA width in packs for both.
    for (const auto& shape : {std::vector<int64_t>{70001, 2 * 300}, std::vector<int64_t>{1029, 2 * 2048}}) {
      require_cuda_matches_twin({randn(shape, 1) * 3}, {false}, dtype, tol, "swiglu",
                                [](auto& in) { return std::vector<at::Tensor>{cohort::fused_swiglu(in[0])}; });
    }
    // QKV + RoPE with grouped heads, positions past the first block of the tables.
    const int64_t B = 3, T = 37, H = 4, K = 2, E = 64;
    require_cuda_matches_twin({randn({B, T, (H + 2 * K) * E}, 2)}, {false}, dtype, tol, "rope_qkv", [&](auto& in) {
      const auto tables = cohort::rope_tables(64, E, 10000.0, in[0].device());
      const auto qkv = cohort::fused_rope_qkv(in[0], tables.first, tables.second, H, K, E);
      return std::vector<at::Tensor>{qkv[0], qkv[1], qkv[2]};
    });
    // RMSNorm: more rows than the backward's 1024 partial rows, widths from one warp to the 8192 maximum.
    for (const int64_t D : {int64_t{5}, int64_t{2000}, int64_t{8192}}) {
      require_cuda_matches_twin({randn({1500, D}, 3) * 2, randn({D}, 4)}, {false, true}, dtype, tol, "rms_norm",
                                [](auto& in) { return std::vector<at::Tensor>{cohort::fused_rms_norm(in[0], in[1], 1e-5)}; });
    }
    // Cross-entropy over the real vocabulary width, one ignored row in four.
    const at::Tensor targets = at::randint(50304, {64}, at::make_generator<at::CPUGeneratorImpl>(5), at::kLong)
                                   .masked_fill(at::arange(64) % 4 == 3, -100);
    require_cuda_matches_twin({randn({64, 50304}, 6) * 3}, {false}, dtype, tol, "cross_entropy", [&](auto& in) {
      return std::vector<at::Tensor>{cohort::fused_cross_entropy(in[0], targets.to(in[0].device()), -100)};
    });
  }
}

COHORT_TEST(fused_bf16_model_matches_the_eager_one_and_repeats_bit_for_bit) {
  const at::Tensor batch_NT = tokens(8, 24, 5);
  cohort::LlamaModel eager(tiny(), 13, kCudaBf16), fused_model(tiny(), 13, fused(kCudaBf16));
  REQUIRE(fused_model.uses_fused_ops());
  const double eager_loss = eager.loss(batch_NT).item<double>();
  const double fused_loss = fused_model.loss(batch_NT).item<double>();
  std::printf("  bf16 loss: eager %.5f, fused %.5f\n", eager_loss, fused_loss);
  REQUIRE_NEAR(fused_loss, eager_loss, 2e-2 * std::abs(eager_loss));
  cohort::Blake2b256Digest fingerprints[2];
  for (auto& fingerprint : fingerprints) {
    cohort::LlamaModel model(tiny(), 21, fused(kCudaBf16));
    cohort::Trainer trainer(model, fast());
    const double before = trainer.eval_loss(batch_NT, 8);
    const auto report = trainer.train_inner(tokens(16, 24, 6), 4);
    REQUIRE(std::isfinite(report.losses.back()) && report.losses.back() < before + 1.0);
    fingerprint = cohort::state_fingerprint(model.specs(), model.parameters());
  }
  REQUIRE(fingerprints[0] == fingerprints[1]);
}

// The error feedback on the GPU (one batched encode per window, the codec kernels) gives the CPU's payload
// and the CPU's e, window after window; a non-finite Δ is refused there too and changes nothing.
COHORT_TEST(device_error_feedback_encodes_like_the_cpu) {
  const std::vector<cohort::ParamSpec> specs = {{"embed", {515, 96}}, {"norm", {96}}, {"q", {96, 96}},
                                                {"up", {260, 96}},    {"one", {1}},   {"odd", {67, 130}}};
  const cohort::codec::CodecParams codec{64, 37, cohort::codec::IndexCoding::kRice};
  REQUIRE(cohort::device_encode_supported(at::Device(at::kCUDA)));
  cohort::ErrorFeedback cpu(specs);
  cohort::ErrorFeedback gpu(specs, at::Device(at::kCUDA));
  REQUIRE(gpu.device().is_cuda());
  for (uint64_t w = 0; w < 3; ++w) {
    std::vector<at::Tensor> delta;
    for (size_t i = 0; i < specs.size(); ++i) delta.push_back(randn(specs[i].shape, 40 + 10 * w + i) * 0.01);
    std::vector<at::Tensor> on_gpu;
    for (const at::Tensor& d : delta) on_gpu.push_back(d.cuda());
    const auto want = cpu.fold_and_encode(delta, 0.9F, codec);
    const auto got = gpu.fold_and_encode(on_gpu, 0.9F, codec);
    REQUIRE_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      REQUIRE(got[i].indices == want[i].indices);
      REQUIRE(got[i].codes == want[i].codes);
      REQUIRE(std::memcmp(&got[i].quant, &want[i].quant, sizeof(want[i].quant)) == 0);
    }
    REQUIRE(gpu.buffers() == cpu.buffers());
  }
  const std::vector<std::vector<float>> before = gpu.buffers();
  std::vector<at::Tensor> bad;
  for (const auto& s : specs) bad.push_back(at::zeros(s.shape, at::TensorOptions().device(at::kCUDA)));
  bad[3].view({-1})[5] = std::numeric_limits<float>::infinity();
  bool refused = false;
  try {
    (void)gpu.fold_and_encode(bad, 0.9F, codec);
  } catch (const cohort::InvalidArgumentError&) {
    refused = true;
  }
  REQUIRE(refused);
  REQUIRE(gpu.buffers() == before);
}

int main() {
  if (!at::hasCUDA()) {
    std::printf("SKIP native_engine_cuda_tests: no CUDA device or a CPU-only libtorch\n");
    return 77;
  }
  return cohort::test::run_all();
}
