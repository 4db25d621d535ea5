// Engine tests on a CUDA device (through libtorch; skipped with exit 77 when none is present): the fp32 model
// and trainer agree with the CPU, bf16 training learns, and the fused AdamW kernel matches the portable update.
// Shape legend: N sequences, T sequence length.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <cstdio>

#include "cohort/adamw.h"
#include "cohort/state_fingerprint.h"
#include "cohort/trainer.h"
#include "test_harness.h"
#include "test_models.h"

namespace {

cohort::ModelConfig tiny() { return cohort::test::tiny_config({64, 32, 4, 2, 64, 32}); }

cohort::TrainerConfig fast() { return cohort::test::fast_trainer(3e-3, 4); }

at::Tensor tokens(int64_t N, int64_t T, uint64_t seed) { return cohort::test::random_tokens(N, T, 64, seed); }

const cohort::ModelPlacement kCudaF32{at::Device(at::kCUDA), at::kFloat, at::kFloat};
const cohort::ModelPlacement kCudaBf16{at::Device(at::kCUDA), at::kFloat, at::kBFloat16};

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

int main() {
  if (!at::hasCUDA()) {
    std::printf("SKIP native_engine_cuda_tests: no CUDA device or a CPU-only libtorch\n");
    return 77;
  }
  return cohort::test::run_all();
}
