// CPU twin of rope_qkv.cu: the same per-pair formulas (rope_qkv_math.h), token by token.
#include "kernels/rope_qkv.h"

namespace cohort::kernels {

template <typename S>
void rope_qkv_forward_ref(S* q_NHE, S* k_NKE, S* v_NKE, const S* qkv_NX, const float* cos_TE, const float* sin_TE,
                          const QkvShape& shape, int64_t n) {
  for (int64_t row = 0; row < n; ++row) {
    const int64_t t = row % shape.seq_len;
    for (int64_t j = 0; j < shape.heads_per_row(); ++j) {
      for (int64_t i = 0; i < shape.head_dim / 2; ++i) {
        rope_qkv_forward_at(q_NHE, k_NKE, v_NKE, qkv_NX, cos_TE, sin_TE, shape, row, t, j, i);
      }
    }
  }
}

template <typename S>
void rope_qkv_backward_ref(S* dqkv_NX, const S* dq_NHE, const S* dk_NKE, const S* dv_NKE, const float* cos_TE,
                           const float* sin_TE, const QkvShape& shape, int64_t n) {
  for (int64_t row = 0; row < n; ++row) {
    const int64_t t = row % shape.seq_len;
    for (int64_t j = 0; j < shape.heads_per_row(); ++j) {
      for (int64_t i = 0; i < shape.head_dim / 2; ++i) {
        rope_qkv_backward_at(dqkv_NX, dq_NHE, dk_NKE, dv_NKE, cos_TE, sin_TE, shape, row, t, j, i);
      }
    }
  }
}

#define COHORT_ROPE_QKV_REF(S)                                                                                 \
  template void rope_qkv_forward_ref<S>(S*, S*, S*, const S*, const float*, const float*, const QkvShape&, \
                                        int64_t);                                                       \
  template void rope_qkv_backward_ref<S>(S*, const S*, const S*, const S*, const float*, const float*,      \
                                         const QkvShape&, int64_t);
COHORT_ROPE_QKV_REF(bf16)
COHORT_ROPE_QKV_REF(float)
COHORT_ROPE_QKV_REF(double)
#undef COHORT_ROPE_QKV_REF

}  // namespace cohort::kernels
