// The fused QKV split + rotary embedding's per-element formulas, shared by rope_qkv.cu and rope_qkv_ref.cc
// (see fused_math.h). HF LLaMA's rotate_half convention: within a head of E values, the pair (i, i + E/2)
// is rotated by the angle of frequency i at the token's position:
//   forward:  y1 = x1·c − x2·s,  y2 = x2·c + x1·s
//   backward: dx1 = dy1·c + dy2·s,  dx2 = dy2·c − dy1·s   (the rotation by −angle)
// c and s come from the fp32 tables [max_seq_len, E] (rope_tables), first half of each row.
#pragma once

#include "kernels/fused_math.h"

namespace cohort::kernels {

// Where a token's heads go: the qkv row holds H query heads, then K key heads, then K value heads, E each.
struct QkvShape {
  int64_t q_heads;   // H
  int64_t kv_heads;  // K
  int64_t head_dim;  // E, even
  int64_t seq_len;   // T: token n sits at position n % T
  COHORT_HD int64_t row_width() const { return (q_heads + 2 * kv_heads) * head_dim; }
  COHORT_HD int64_t heads_per_row() const { return q_heads + 2 * kv_heads; }
  COHORT_HD int64_t pairs_per_row() const { return heads_per_row() * (head_dim / 2); }
};

// Pair i (< E/2) of head j (< H+2K) of token n at position t (= n % T, computed once per token by the
// caller). Query and key heads are rotated into q_NHE / k_NKE, value heads copied into v_NKE.
template <typename S>
COHORT_HD void rope_qkv_forward_at(S* q_NHE, S* k_NKE, S* v_NKE, const S* qkv_NX, const float* cos_TE,
                                   const float* sin_TE, const QkvShape& shape, int64_t n, int64_t t, int64_t j,
                                   int64_t i) {
  using A = math_t<S>;
  const int64_t E = shape.head_dim, half = E / 2, H = shape.q_heads, K = shape.kv_heads;
  const S* x = qkv_NX + n * shape.row_width() + j * E;
  if (j >= H + K) {
    S* v = v_NKE + (n * K + (j - H - K)) * E;
    v[i] = x[i];
    v[i + half] = x[i + half];
    return;
  }
  S* y = j < H ? q_NHE + (n * H + j) * E : k_NKE + (n * K + (j - H)) * E;
  const A c = static_cast<A>(cos_TE[t * E + i]);
  const A s = static_cast<A>(sin_TE[t * E + i]);
  const A x1 = load(x[i]);
  const A x2 = load(x[i + half]);
  store(y[i], x1 * c - x2 * s);
  store(y[i + half], x2 * c + x1 * s);
}

// The adjoint: d(qkv) for pair i of head j of token n (position t) from dq, dk (rotated back) and dv (copied).
template <typename S>
COHORT_HD void rope_qkv_backward_at(S* dqkv_NX, const S* dq_NHE, const S* dk_NKE, const S* dv_NKE, const float* cos_TE,
                                    const float* sin_TE, const QkvShape& shape, int64_t n, int64_t t, int64_t j,
                                    int64_t i) {
  using A = math_t<S>;
  const int64_t E = shape.head_dim, half = E / 2, H = shape.q_heads, K = shape.kv_heads;
  S* dx = dqkv_NX + n * shape.row_width() + j * E;
  if (j >= H + K) {
    const S* dv = dv_NKE + (n * K + (j - H - K)) * E;
    dx[i] = dv[i];
    dx[i + half] = dv[i + half];
    return;
  }
  const S* dy = j < H ? dq_NHE + (n * H + j) * E : dk_NKE + (n * K + (j - H)) * E;
  const A c = static_cast<A>(cos_TE[t * E + i]);
  const A s = static_cast<A>(sin_TE[t * E + i]);
  const A dy1 = load(dy[i]);
  const A dy2 = load(dy[i + half]);
  store(dx[i], dy1 * c + dy2 * s);
  store(dx[i + half], dy2 * c - dy1 * s);
}

}  // namespace cohort::kernels
