// CPU twin of cross_entropy.cu: the same formulas (cross_entropy_math.h), each row's log-sum-exp in index order.
#include "kernels/cross_entropy.h"

#include "kernels/cross_entropy_math.h"

namespace cohort::kernels {

template <typename S>
void cross_entropy_forward_ref(math_t<S>* loss_N, math_t<S>* lse_N, const S* logits_NV, const int64_t* targets_N,
                               int64_t n, int64_t v, int64_t ignore_index) {
  using A = math_t<S>;
  for (int64_t row = 0; row < n; ++row) {
    const S* x = logits_NV + row * v;
    LseAccumulator<A> acc = lse_empty<A>();
    for (int64_t j = 0; j < v; ++j) acc = lse_add(acc, load(x[j]));
    const A lse = lse_value(acc);
    lse_N[row] = lse;
    loss_N[row] = cross_entropy_loss(x, v, targets_N[row], ignore_index, lse);
  }
}

template <typename S>
void cross_entropy_backward_ref(S* dlogits_NV, const S* logits_NV, const int64_t* targets_N, const math_t<S>* lse_N,
                                const math_t<S>* dloss_N, int64_t n, int64_t v, int64_t ignore_index) {
  using A = math_t<S>;
  for (int64_t row = 0; row < n; ++row) {
    const int64_t target = targets_N[row];
    const A dloss = target == ignore_index ? A(0) : dloss_N[row];
    for (int64_t j = 0; j < v; ++j) {
      store(dlogits_NV[row * v + j], cross_entropy_grad(load(logits_NV[row * v + j]), lse_N[row], dloss, j == target));
    }
  }
}

#define COHORT_CROSS_ENTROPY_REF(S)                                                                              \
  template void cross_entropy_forward_ref<S>(math_t<S>*, math_t<S>*, const S*, const int64_t*, int64_t, int64_t, \
                                             int64_t);                                                          \
  template void cross_entropy_backward_ref<S>(S*, const S*, const int64_t*, const math_t<S>*, const math_t<S>*,  \
                                              int64_t, int64_t, int64_t);
COHORT_CROSS_ENTROPY_REF(bf16)
COHORT_CROSS_ENTROPY_REF(float)
COHORT_CROSS_ENTROPY_REF(double)
#undef COHORT_CROSS_ENTROPY_REF

}  // namespace cohort::kernels
