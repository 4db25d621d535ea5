// CPU reference twin of encode_batch (encode_batch.cu), step for step over the single-tensor twins: fold
// into ef_next (ef_update_ref), select (topk_chunks_ref), quantize (quantize_codes_ref), subtract the
// decoded values at the kept positions. Shape suffixes: _N = flat element count; _K = batch total kept.
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/ef_update.h"
#include "kernels/encode_batch.h"
#include "kernels/topk_chunks.h"

namespace cohort::kernels {

bool encode_batch_ref(const EncodeTensor* tensors, int count, float beta, uint16_t* indices_K, uint8_t* codes_K,
                      QuantResult* results) {
  std::vector<TensorSlot> slots(static_cast<size_t>(count));
  for (int t = 0; t < count; ++t) slots[static_cast<size_t>(t)].geometry = tensors[t].geometry;
  lay_out_slots(slots.data(), count);
  std::vector<float> values_K;
  for (int t = 0; t < count; ++t) {
    const EncodeTensor& x = tensors[t];
    const ChunkGeometry& g = x.geometry;
    const int64_t n = g.rows.size * g.cols.size;
    std::memcpy(x.ef_next_N, x.ef_N, static_cast<size_t>(n) * sizeof(float));
    ef_update_ref(x.ef_next_N, x.delta_N, beta, n);
    for (int64_t i = 0; i < n; ++i) {
      if (!std::isfinite(x.ef_next_N[i])) return false;
    }
    const int64_t base = slots[static_cast<size_t>(t)].kept_base;
    values_K.resize(static_cast<size_t>(g.total_kept()));
    topk_chunks_ref(x.ef_next_N, g, indices_K + base, values_K.data());
    results[t] = quantize_codes_ref(values_K.data(), g, codes_K + base);
    float sent[kCodeBins];
    for (int b = 0; b < kCodeBins; ++b) sent[b] = results[t].lookup[b] + results[t].shift;
    for (int64_t ch = 0; ch < g.chunk_count(); ++ch) {
      const int64_t at = base + g.chunk_offset(ch);
      for (int64_t j = at; j < at + g.chunk_k(ch); ++j) {
        x.ef_next_N[g.flat_index(ch, indices_K[j])] -= sent[codes_K[j]];
      }
    }
  }
  return true;
}

}  // namespace cohort::kernels
