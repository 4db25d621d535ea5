// Cross-entropy's formulas, shared by cross_entropy.cu and cross_entropy_ref.cc (see fused_math.h). Per row
// of V logits x with target t (or the ignore index, which contributes nothing):
//   forward:  lse = m + log Σ exp(x − m)  (m = max x),  loss = lse − x_t
//   backward: dx_j = dloss · (exp(x_j − lse) − [j = t])
// The log-sum-exp is accumulated as (max, scaled sum) pairs, which combine in any order without overflow.
#pragma once

#include "kernels/fused_math.h"

namespace cohort::kernels {

COHORT_HD float log_of(float x) { return logf(x); }
COHORT_HD double log_of(double x) { return log(x); }

// A running log-sum-exp: Σ exp(x) = sum · exp(max).
template <typename A>
struct LseAccumulator {
  A max;
  A sum;
};

template <typename A>
COHORT_HD LseAccumulator<A> lse_empty() {
  return {-INFINITY, A(0)};
}

template <typename A>
COHORT_HD LseAccumulator<A> lse_add(LseAccumulator<A> acc, A x) {
  if (x <= acc.max) return {acc.max, acc.sum + exp_of(x - acc.max)};
  return {x, acc.sum * exp_of(acc.max - x) + A(1)};  // exp(-inf) = 0 for the empty accumulator
}

template <typename A>
COHORT_HD LseAccumulator<A> lse_merge(LseAccumulator<A> a, LseAccumulator<A> b) {
  if (a.max < b.max) {
    const LseAccumulator<A> t = a;
    a = b;
    b = t;
  }
  if (b.sum == A(0)) return a;  // also covers two empty accumulators (no inf − inf)
  return {a.max, a.sum + b.sum * exp_of(b.max - a.max)};
}

template <typename A>
COHORT_HD A lse_value(LseAccumulator<A> acc) {
  return acc.max + log_of(acc.sum);
}

// A row's loss: 0 for the ignore index, NaN for a target outside [0, v) (never an out-of-bounds read).
template <typename S, typename A>
COHORT_HD A cross_entropy_loss(const S* x_V, int64_t v, int64_t target, int64_t ignore_index, A lse) {
  if (target == ignore_index) return A(0);
  if (target < 0 || target >= v) return A(NAN);
  return lse - load(x_V[target]);
}

// The gradient of one logit.
template <typename A>
COHORT_HD A cross_entropy_grad(A x, A lse, A dloss, bool is_target) {
  return dloss * (exp_of(x - lse) - (is_target ? A(1) : A(0)));
}

}  // namespace cohort::kernels
