// Small models, trainer settings and fixed-seed token batches shared by the native model, trainer and CUDA tests.
// Shape legend: N sequences, T sequence length.
#pragma once

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cstdint>

#include "cohort/model_config.h"
#include "cohort/trainer.h"

namespace cohort::test {

// The sizes that differ between the test models; every one has 2 layers.
struct TinyShape {
  int64_t vocab;
  int64_t dim;
  int64_t heads;
  int64_t kv_heads;
  int64_t ffn;
  int64_t max_seq;
};

inline ModelConfig tiny_config(const TinyShape& s) {
  ModelConfig c;
  c.preset = "custom";
  c.vocab_size = s.vocab;
  c.dim = s.dim;
  c.n_layers = 2;
  c.n_heads = s.heads;
  c.n_kv_heads = s.kv_heads;
  c.ffn_dim = s.ffn;
  c.max_seq_len = s.max_seq;
  return c;
}

// A short schedule (2 warm-up steps of 100) so a few steps already move the model.
inline TrainerConfig fast_trainer(double lr, int64_t micro_batch_size) {
  TrainerConfig t;
  t.lr = lr;
  t.warmup_steps = 2;
  t.total_steps = 100;
  t.micro_batch_size = micro_batch_size;
  return t;
}

// int64 [N, T] token ids in [0, vocab), from a CPU generator seeded with `seed`.
inline at::Tensor random_tokens(int64_t N, int64_t T, int64_t vocab, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randint(vocab, {N, T}, gen, at::kLong);
}

}  // namespace cohort::test
