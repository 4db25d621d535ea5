// SwiGLU's per-element formulas, shared by swiglu.cu and swiglu_ref.cc (see fused_math.h).
//   forward:  y = silu(g) · u,  silu(g) = g · σ(g)
//   backward: du = dy · silu(g),  dg = dy · u · σ(g) · (1 + g · (1 − σ(g)))
// Row layout: a row of gate_up holds F gate values then F up values (the fused gate/up GEMM's output).
#pragma once

#include "kernels/fused_math.h"

namespace cohort::kernels {

template <typename A>
COHORT_HD A sigmoid_of(A x) {
  return A(1) / (A(1) + exp_of(-x));
}

// Column `col` of one row: out_F[col] from gate_up_2F.
template <typename S>
COHORT_HD void swiglu_forward_at(S* out_F, const S* gate_up_2F, int64_t f, int64_t col) {
  using A = math_t<S>;
  const A g = load(gate_up_2F[col]);
  const A u = load(gate_up_2F[f + col]);
  store(out_F[col], g * sigmoid_of(g) * u);
}

// Column `col` of one row: dgate_up_2F[col] and dgate_up_2F[f + col] from the saved input and dout_F.
template <typename S>
COHORT_HD void swiglu_backward_at(S* dgate_up_2F, const S* gate_up_2F, const S* dout_F, int64_t f, int64_t col) {
  using A = math_t<S>;
  const A g = load(gate_up_2F[col]);
  const A u = load(gate_up_2F[f + col]);
  const A dy = load(dout_F[col]);
  const A s = sigmoid_of(g);
  store(dgate_up_2F[col], dy * u * (s * (A(1) + g * (A(1) - s))));
  store(dgate_up_2F[f + col], dy * (g * s));
}

}  // namespace cohort::kernels
