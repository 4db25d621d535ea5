// A model-shaped batch for encode_batch's tests (CPU twin in codec_kernels_tests.cc, CUDA launcher in
// codec_cuda_tests.cc): tensors of every tiling rule with fixed-seed e and Δ, and what
// codec::encode_with_feedback makes of each, tensor by tensor, laid out in the batch's kept numbering.
// Shape suffixes: _N = a tensor's flat element count; _K = the batch's total kept.
#pragma once

#include <cstdint>
#include <vector>

#include "cohort/codec/chunk_plan.h"
#include "cohort/codec/encode.h"
#include "kernels/chunk_geometry.h"
#include "kernels/encode_batch.h"
#include "codec_test_data.h"

namespace cohort::test {

struct EncodeBatchCase {
  std::vector<codec::ChunkPlan> plans;
  std::vector<kernels::ChunkGeometry> geometries;
  std::vector<std::vector<float>> ef_N;     // e before the encode
  std::vector<std::vector<float>> delta_N;  // Δ
  float beta = 0.9F;
  // What encode_with_feedback gives, concatenated in table order.
  std::vector<uint16_t> indices_K;
  std::vector<uint8_t> codes_K;
  std::vector<codec::QuantParams> quant;
  std::vector<std::vector<float>> ef_after_N;  // e after encode_with_feedback
};

inline EncodeBatchCase encode_batch_case(const std::vector<std::vector<int64_t>>& shapes, int tile, int topk,
                                         uint32_t seed) {
  EncodeBatchCase c;
  for (const auto& shape : shapes) {
    c.plans.emplace_back(shape, tile, topk);
    const codec::ChunkPlan& plan = c.plans.back();
    c.geometries.push_back(kernels::chunk_geometry_of(plan));
    c.ef_N.push_back(tied_gaussian(plan.numel(), ++seed));
    c.delta_N.push_back(tied_gaussian(plan.numel(), ++seed));
    std::vector<float> ef = c.ef_N.back();
    const codec::EncodedTensor t = codec::encode_with_feedback(ef.data(), c.delta_N.back().data(), c.beta, plan);
    c.indices_K.insert(c.indices_K.end(), t.indices.begin(), t.indices.end());
    c.codes_K.insert(c.codes_K.end(), t.codes.begin(), t.codes.end());
    c.quant.push_back(t.quant);
    c.ef_after_N.push_back(std::move(ef));
  }
  return c;
}

// One run's buffers for a case: fresh copies of e and Δ, with Δ[poison][at] = bad when poison ≥ 0 (a
// non-finite fold), and a zeroed e' per tensor.
struct EncodeBatchRun {
  std::vector<std::vector<float>> ef_N;
  std::vector<std::vector<float>> delta_N;
  std::vector<std::vector<float>> next_N;
};

inline EncodeBatchRun encode_batch_run(const EncodeBatchCase& c, int poison, size_t at, float bad) {
  EncodeBatchRun r{c.ef_N, c.delta_N, {}};
  if (poison >= 0) r.delta_N[static_cast<size_t>(poison)][at] = bad;
  for (const auto& e : r.ef_N) r.next_N.emplace_back(e.size(), 0.0F);
  return r;
}

// Shapes of a small model: a ragged embedding, square and wide projections, 1-D norms, a one-element
// tensor and a tensor of more than one chunk row and column.
inline std::vector<std::vector<int64_t>> model_like_shapes() {
  return {{257, 96}, {96}, {96, 96}, {67, 130}, {192, 96}, {96, 192}, {1}, {4099}, {64, 64}, {3, 1}};
}

}  // namespace cohort::test
