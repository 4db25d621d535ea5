// Deterministic aggregation of decoded updates (see cohort/codec/aggregate.h).
#include "cohort/codec/aggregate.h"

#include <algorithm>
#include <cmath>

#include "cohort/blake2b.h"
#include "cohort/errors.h"
#include "codec/parallel_jobs.h"

namespace cohort::codec {
namespace {

void check_compatible(const std::vector<const DecodedUpdate*>& updates) {
  const DecodedUpdate& first = *updates.front();
  for (const DecodedUpdate* u : updates) {
    if (u->model_fingerprint != first.model_fingerprint || u->header.codec.tile_side != first.header.codec.tile_side ||
        u->header.codec.topk != first.header.codec.topk) {
      throw InvalidArgumentError(expected_message("updates of one model and codec", "aggregate input",
                                                  "a mismatching update from " + to_hex(u->header.hotkey.data(), 32)));
    }
  }
}

void check_clip_references(const std::vector<double>& clip_to, size_t tensors) {
  if (clip_to.size() != tensors) {
    throw InvalidArgumentError(expected_message("one clip reference per tensor (" + std::to_string(tensors) + ")",
                                                "clip references", std::to_string(clip_to.size())));
  }
  for (size_t t = 0; t < tensors; ++t) {
    if (!std::isfinite(clip_to[t]) || clip_to[t] < 0) {
      throw InvalidArgumentError(expected_message("a finite reference ≥ 0", "clip reference " + std::to_string(t),
                                                  std::to_string(clip_to[t])));
    }
  }
}

}  // namespace

double tensor_norm(const DecodedTensor& tensor) {
  double sum = 0.0;
  for (uint8_t code : tensor.data.codes) {
    const double v = dequantize(tensor.data.quant, code);
    sum += v * v;
  }
  return std::sqrt(sum);
}

std::vector<double> clip_factors(const std::vector<double>& norms, double reference) {
  std::vector<double> factors(norms.size());
  for (size_t i = 0; i < norms.size(); ++i) {
    factors[i] = std::min(1.0, reference / (norms[i] + 1e-8));
  }
  return factors;
}

std::vector<double> clip_factors(const std::vector<double>& norms) {
  std::vector<double> sorted = norms;
  std::sort(sorted.begin(), sorted.end());
  return clip_factors(norms, sorted[(sorted.size() - 1) / 2]);
}

Aggregate aggregate_updates(const ObjectHeader& header, const std::vector<const DecodedUpdate*>& updates,
                            const std::vector<double>* clip_to) {
  if (updates.empty()) {
    throw InvalidArgumentError(expected_message("at least one update", "aggregate input", "none"));
  }
  check_compatible(updates);
  const DecodedUpdate& first = *updates.front();
  if (clip_to != nullptr) check_clip_references(*clip_to, first.tensors.size());
  Aggregate agg;
  agg.header = header;
  agg.header.codec = first.header.codec;
  agg.header.codec.index_coding = IndexCoding::kRice;
  agg.header.data_receipt = {};
  agg.model_fingerprint = first.model_fingerprint;
  for (const DecodedUpdate* u : updates) {
    agg.contributors.push_back({u->header.hotkey, u->digest});
  }
  const size_t peers = updates.size();
  // Tensor by tensor on the job threads: each reads only its own tensor of every update and writes only
  // its own AggregateTensor, so the bytes are the same on any number of threads.
  agg.tensors.resize(first.tensors.size());
  std::vector<int64_t> sizes;
  for (const DecodedTensor& t : first.tensors) sizes.push_back(static_cast<int64_t>(t.data.indices.size()));
  detail::run_jobs(sizes, 0, [&](size_t ti) {
    const TensorEntry& entry = first.tensors[ti].entry;
    const ChunkPlan plan(entry.shape, agg.header.codec.tile_side, agg.header.codec.topk);
    std::vector<double> norms(peers);
    for (size_t p = 0; p < peers; ++p) {
      norms[p] = tensor_norm(updates[p]->tensors[ti]);
    }
    const std::vector<double> factor = clip_to == nullptr ? clip_factors(norms) : clip_factors(norms, (*clip_to)[ti]);
    AggregateTensor& out = agg.tensors[ti];
    out.entry = entry;
    // One band of row blocks at a time: a dense fp64 accumulator for band_rows × cols coordinates.
    const DimSplit& rows = plan.row_split();
    const int64_t cx = plan.col_split().count;
    const auto band_elems = static_cast<size_t>(rows.block * plan.cols());
    std::vector<double> acc(band_elems, 0.0);
    std::vector<uint32_t> count(band_elems, 0);
    std::vector<size_t> cursor(peers, 0);
    for (int64_t y = 0; y < rows.count; ++y) {
      const int64_t band_origin = y * rows.block * plan.cols();
      for (size_t p = 0; p < peers; ++p) {
        const EncodedTensor& t = updates[p]->tensors[ti].data;
        size_t at = cursor[p];
        for (int64_t ch = y * cx; ch < (y + 1) * cx; ++ch) {
          const int64_t k = plan.chunk_k(ch);
          for (int64_t j = 0; j < k; ++j, ++at) {
            const auto local = static_cast<size_t>(plan.flat_index(ch, t.indices[at]) - band_origin);
            acc[local] += static_cast<double>(dequantize(t.quant, t.codes[at])) * factor[p];
            ++count[local];
          }
        }
        cursor[p] = at;
      }
      const auto band_len = static_cast<size_t>(rows.length(y) * plan.cols());
      for (size_t i = 0; i < band_len; ++i) {
        if (count[i] != 0) {
          out.indices.push_back(static_cast<uint32_t>(band_origin + static_cast<int64_t>(i)));
          out.values.push_back(static_cast<float>(acc[i] / count[i]));
          acc[i] = 0.0;
          count[i] = 0;
        }
      }
    }
  });
  return agg;
}

}  // namespace cohort::codec
