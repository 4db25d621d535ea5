// cohort_codec_bench: the SparseLoCo codec (docs/wire-format.md) on a model-shaped set of tensors, without
// Node. Prints one JSON object per run on stdout (test/bench/codec.mjs assembles codec.json from them).
//   cohort_codec_bench --mode encode    --data gaussian|heavy  size of the update object (rice and packed12),
//                                                              single-thread encode / write / decode GB/s and
//                                                              a per-stage breakdown of the encoder
//   cohort_codec_bench --mode aggregate --peers 20             aggregate_updates + write_aggregate time, the
//                                                              aggregate's size and union density
//   cohort_codec_bench --mode gpu                              ef_update → topk_chunks → quantize_codes over
//                                                              device buffers (CUDA builds with a device;
//                                                              otherwise {"gpu":null,...})
// Common options: --preset 150M --layers -1 (transformer layers kept; -1 all) --embedding 1 (keep the
// embedding) --reps 3 --seed 1 --beta 0.95 --tile 64 --topk 64 --sigma 1e-3 --correlation 0 (aggregate:
// share of variance common to all peers).
//
// Every measured section runs on the calling thread only (GB/s are per core). Data generation and the
// aggregate's peer updates (setup, not measured) use every hardware thread. Pseudo-gradients are synthetic
// with fixed seeds: `gaussian` is iid N(0, σ²); `heavy` is Student-t (ν = 3) scaled per row by a
// log-normal factor exp(0.75·z), which makes the top-k cluster in the large rows of a chunk.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cohort/codec/aggregate.h"
#include "cohort/codec/chunk_plan.h"
#include "cohort/codec/encode.h"
#include "cohort/codec/quantize.h"
#include "cohort/codec/topk.h"
#include "cohort/codec/wire.h"
#include "cohort/errors.h"
#include "cohort/model_config.h"
// The index coders (detail::write_rice_chunks, write_packed12) and the encoder's two passes are internal
// to the codec; the bench times them on their own to break write_update and the encoder down.
#include "../src/codec/encode_checked.h"
#include "../src/codec/parallel_jobs.h"
#include "../src/codec/topk_fold.h"
#include "../src/codec/wire_common.h"

#if defined(COHORT_HAVE_CUDA_KERNELS)
#include <cuda_runtime_api.h>

#include "kernels/chunk_geometry.h"
#include "kernels/ef_update.h"
#include "kernels/encode_batch.h"
#include "kernels/quantize_codes.h"
#include "kernels/topk_chunks.h"
#endif

namespace {

using cohort::codec::ChunkPlan;
using cohort::codec::EncodedTensor;
using cohort::codec::IndexCoding;
using cohort::codec::TensorEntry;
using Clock = std::chrono::steady_clock;

// Results the timed loops produce but nothing else reads land here, so the compiler keeps the work.
volatile uint64_t g_sink = 0;

double seconds_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// ---------------------------------------------------------------------------------------------- arguments

using Args = std::map<std::string, std::string>;

Args parse_args(int argc, char** argv) {
  Args args = {{"mode", "encode"}, {"preset", "150M"}, {"data", "gaussian"}, {"layers", "-1"},
               {"embedding", "1"}, {"reps", "3"},      {"seed", "1"},         {"beta", "0.95"},
               {"tile", "64"},     {"topk", "64"},     {"sigma", "1e-3"},     {"peers", "20"},
               {"correlation", "0"}};
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (key.rfind("--", 0) != 0 || i + 1 >= argc || args.count(key.substr(2)) == 0) {
      throw cohort::InvalidArgumentError(
          "usage: cohort_codec_bench [--mode encode|aggregate|gpu] [--preset P] [--data gaussian|heavy] [--layers L] "
          "[--embedding 0|1] [--reps R] [--seed S] [--beta B] [--tile T] [--topk K] [--sigma S] [--peers P] "
          "[--correlation C]; bad argument " + key);
    }
    args[key.substr(2)] = argv[++i];
  }
  return args;
}

int64_t as_int(const Args& a, const std::string& k) { return std::stoll(a.at(k)); }
double as_double(const Args& a, const std::string& k) { return std::stod(a.at(k)); }

// ------------------------------------------------------------------------------------------------- JSON

class Json {
 public:
  Json& num(const std::string& key, double v) {
    if (!std::isfinite(v)) return raw(key, "null");
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return raw(key, buf);
  }
  Json& integer(const std::string& key, int64_t v) { return raw(key, std::to_string(v)); }
  Json& boolean(const std::string& key, bool v) { return raw(key, v ? "true" : "false"); }
  Json& str(const std::string& key, const std::string& v) {
    std::string q = "\"";
    for (const char c : v) {
      if (c == '"' || c == '\\') q += '\\';
      q += c;
    }
    return raw(key, q + "\"");
  }
  Json& obj(const std::string& key, const Json& o) { return raw(key, o.text()); }
  Json& raw(const std::string& key, const std::string& json) {
    body_ += (body_.empty() ? "\"" : ",\"") + key + "\":" + json;
    return *this;
  }
  std::string text() const { return "{" + body_ + "}"; }

 private:
  std::string body_;
};

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  double a = 0, b = 0, c = 0;
  if (!(f >> a >> b >> c)) return "null";
  char buf[96];
  std::snprintf(buf, sizeof buf, "[%.2f,%.2f,%.2f]", a, b, c);
  return buf;
}

// ------------------------------------------------------------------------------------------------ model

struct Model {
  std::string preset;
  std::string subset;
  std::vector<TensorEntry> table;
  std::vector<ChunkPlan> plans;
  int64_t params = 0;
  int64_t kept = 0;
  int64_t max_numel = 0;
  int64_t max_kept = 0;
};

// The preset's parameters in canonical order; --layers L keeps transformer layers < L (and model.norm),
// --embedding 0 drops the embedding (quick runs).
Model load_model(const Args& args) {
  Model m;
  m.preset = args.at("preset");
  const int64_t layers = as_int(args, "layers");
  const bool embedding = as_int(args, "embedding") != 0;
  const int tile = static_cast<int>(as_int(args, "tile"));
  const int topk = static_cast<int>(as_int(args, "topk"));
  const cohort::ModelConfig config = cohort::preset_config(m.preset);
  for (const cohort::ParamSpec& s : cohort::parameter_specs(config)) {
    const bool is_embedding = s.name == "model.embed_tokens.weight" || s.name == "lm_head.weight";
    if (is_embedding && !embedding) continue;
    if (layers >= 0 && s.name.rfind("model.layers.", 0) == 0) {
      const int64_t layer = std::stoll(s.name.substr(std::strlen("model.layers.")));
      if (layer >= layers) continue;
    }
    m.table.push_back({s.name, cohort::codec::DType::kF32, s.shape});
    m.plans.emplace_back(s.shape, tile, topk);
    m.params += m.plans.back().numel();
    m.kept += m.plans.back().total_kept();
    m.max_numel = std::max(m.max_numel, m.plans.back().numel());
    m.max_kept = std::max(m.max_kept, m.plans.back().total_kept());
  }
  if (m.table.empty()) throw cohort::InvalidArgumentError("the tensor subset is empty");
  const bool all = layers < 0 || layers >= config.n_layers;
  m.subset = all && embedding ? "all tensors"
                              : std::string(embedding ? "embedding, " : "no embedding, ") +
                                    (all ? "all" : std::to_string(layers)) + " of " + std::to_string(config.n_layers) +
                                    " transformer layers, final norm";
  return m;
}

Json model_json(const Model& m) {
  return Json()
      .str("preset", m.preset)
      .str("subset", m.subset)
      .integer("tensors", static_cast<int64_t>(m.table.size()))
      .integer("parameters", m.params)
      .integer("kept", m.kept)
      .num("density", static_cast<double>(m.kept) / static_cast<double>(m.params));
}

// ------------------------------------------------------------------------------------------------- data

// splitmix64: fast, and good enough for benchmark data.
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }         // [0, 1)
  double symmetric() { return static_cast<double>(next() >> 10) * 0x1.0p-53 - 1.0; }  // [-1, 1)
  double normal() {
    if (have_spare) {
      have_spare = false;
      return spare;
    }
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    constexpr double kTwoPi = 6.283185307179586;
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare = r * std::sin(kTwoPi * u2);
    have_spare = true;
    return r * std::cos(kTwoPi * u2);
  }
  // Bailey's polar method for Student-t with ν degrees of freedom.
  double student_t(double nu) {
    for (;;) {
      const double u = symmetric();
      const double v = symmetric();
      const double w = u * u + v * v;
      if (w > 0.0 && w <= 1.0) return u * std::sqrt(nu * (std::pow(w, -2.0 / nu) - 1.0) / w);
    }
  }
  bool have_spare = false;
  double spare = 0.0;
};

uint64_t mix_seed(uint64_t seed, uint64_t a, uint64_t b) {
  Rng r{seed * 0x100000001B3ULL ^ (a << 32) ^ b};
  r.next();
  return r.next();
}

enum class Data { kGaussian, kHeavy };

Data parse_data(const std::string& s) {
  if (s == "gaussian") return Data::kGaussian;
  if (s == "heavy") return Data::kHeavy;
  throw cohort::InvalidArgumentError("--data gaussian|heavy, not " + s);
}

const char* data_description(Data d) {
  return d == Data::kGaussian ? "synthetic pseudo-gradients: iid gaussian N(0, sigma^2), fixed seeds"
                              : "synthetic pseudo-gradients: Student-t (nu = 3) times a per-row log-normal scale "
                                "exp(0.75 z), fixed seeds";
}

// One tensor's pseudo-gradient (plan.numel() floats), a function of (seed, stream, tensor) only.
void fill(const ChunkPlan& plan, Data kind, double sigma, uint64_t seed, uint64_t stream, uint64_t tensor, float* out) {
  Rng rng{mix_seed(seed, stream, tensor)};
  const int64_t rows = plan.rows();
  const int64_t cols = plan.cols();
  for (int64_t r = 0; r < rows; ++r) {
    float* row = out + r * cols;
    if (kind == Data::kGaussian) {
      for (int64_t c = 0; c < cols; ++c) row[c] = static_cast<float>(sigma * rng.normal());
    } else {
      const double scale = sigma * std::exp(0.75 * rng.normal());
      for (int64_t c = 0; c < cols; ++c) row[c] = static_cast<float>(scale * rng.student_t(3.0));
    }
  }
}

// Runs fn(i) for i in [0, n) on every hardware thread (setup only: nothing measured runs here).
template <class F>
void parallel_for(size_t n, F&& fn) {
  cohort::codec::detail::run_jobs(std::vector<int64_t>(n, 1), 0, fn);
}

cohort::codec::ObjectHeader make_header(const Args& args, IndexCoding coding, uint8_t hotkey_tag) {
  cohort::codec::ObjectHeader h;
  h.run_id = "bench";
  h.window = 1;
  h.hotkey.fill(hotkey_tag);
  h.hotkey[0] = 0xB0;
  h.codec.tile_side = static_cast<int>(as_int(args, "tile"));
  h.codec.topk = static_cast<int>(as_int(args, "topk"));
  h.codec.index_coding = coding;
  return h;
}

// ------------------------------------------------------------------------------------------ encode mode

// The encoder's passes, as encode_with_feedback (src/codec/encode.cc) runs them, timed one by one.
struct StageTimes {
  double fold_topk = 0;      // pass 1: β·e + Δ in registers, finiteness, per-chunk top-k (nothing written)
  double quantize = 0;       // quantize_values
  double fold_residual = 0;  // pass 2: e ← β·e + Δ, then e ← e − dequantized value at the kept positions
};

EncodedTensor staged_encode(float* ef, const float* delta, float beta, const ChunkPlan& plan, StageTimes& t) {
  const auto t0 = Clock::now();
  const auto kept = static_cast<size_t>(plan.total_kept());
  EncodedTensor e;
  e.indices.resize(kept);
  e.codes.resize(kept);
  std::vector<float> values(kept);
  // The library's own passes (src/codec/topk_fold.h, src/codec/encode_checked.h).
  if (!cohort::codec::detail::select_topk_fold(ef, delta, beta, nullptr, plan, e.indices.data(), values.data())) {
    throw std::runtime_error("non-finite e");
  }
  const auto t1 = Clock::now();
  e.quant = cohort::codec::quantize_values(values.data(), plan, e.codes.data());
  const auto t2 = Clock::now();
  cohort::codec::detail::fold_and_subtract(ef, delta, beta, plan, e);
  const auto t3 = Clock::now();
  t.fold_topk += seconds_between(t0, t1);
  t.quantize += seconds_between(t1, t2);
  t.fold_residual += seconds_between(t2, t3);
  return e;
}

bool same_encoding(const EncodedTensor& a, const EncodedTensor& b) {
  return a.indices == b.indices && a.codes == b.codes && std::memcmp(&a.quant, &b.quant, sizeof a.quant) == 0;
}

Json rate(double seconds, double bytes) {
  return Json().num("seconds", seconds).num("gbps", bytes / seconds / 1e9);
}

Json size_json(const Model& m, const std::vector<uint8_t>& object, const std::vector<EncodedTensor>& encoded,
               IndexCoding coding) {
  // Sections of the object: fixed header + table + trailer, 28 bytes per tensor, codes, index streams.
  uint64_t index_bytes = 0;
  uint64_t code_bytes = 0;
  for (size_t i = 0; i < encoded.size(); ++i) {
    std::vector<uint8_t> stream;
    if (coding == IndexCoding::kPacked12) {
      stream = cohort::codec::detail::write_packed12(encoded[i].indices);
    } else {
      cohort::codec::detail::write_rice_chunks(encoded[i].indices, m.plans[i], stream);
    }
    index_bytes += stream.size();
    code_bytes += (encoded[i].codes.size() + 3) / 4;
  }
  const double params = static_cast<double>(m.params);
  const double bits = 8.0 * static_cast<double>(object.size()) / params;
  return Json()
      .integer("bytes", static_cast<int64_t>(object.size()))
      .num("bits_per_parameter", bits)
      .num("ratio_vs_fp32", 32.0 / bits)
      .num("ratio_vs_bf16", 16.0 / bits)
      .num("index_bits_per_kept", 8.0 * static_cast<double>(index_bytes) / static_cast<double>(m.kept))
      .num("code_bits_per_kept", 8.0 * static_cast<double>(code_bytes) / static_cast<double>(m.kept))
      .integer("index_bytes", static_cast<int64_t>(index_bytes))
      .integer("code_bytes", static_cast<int64_t>(code_bytes))
      .integer("overhead_bytes", static_cast<int64_t>(object.size() - index_bytes - code_bytes));
}

int run_encode(const Args& args) {
  const Model m = load_model(args);
  const Data kind = parse_data(args.at("data"));
  const double sigma = as_double(args, "sigma");
  const auto seed = static_cast<uint64_t>(as_int(args, "seed"));
  const auto beta = static_cast<float>(as_double(args, "beta"));
  const int64_t reps = std::max<int64_t>(1, as_int(args, "reps"));
  const size_t nt = m.table.size();

  // e starts at zero; Δ is fixed (one draw per tensor), so each window folds the same Δ into e.
  const auto setup_start = Clock::now();
  std::vector<std::vector<float>> ef(nt), delta(nt);
  parallel_for(nt, [&](size_t i) {
    ef[i].assign(static_cast<size_t>(m.plans[i].numel()), 0.0F);
    delta[i].resize(static_cast<size_t>(m.plans[i].numel()));
    fill(m.plans[i], kind, sigma, seed, 0, i, delta[i].data());
  });
  const double setup_seconds = seconds_between(setup_start, Clock::now());

  // Warm-up window (untimed), then a check that the staged replica agrees with encode_with_feedback.
  for (size_t i = 0; i < nt; ++i) {
    (void)cohort::codec::encode_with_feedback(ef[i].data(), delta[i].data(), beta, m.plans[i]);
  }
  bool staged_matches = true;
  for (size_t i = 0; i < std::min<size_t>(nt, 3); ++i) {
    std::vector<float> copy = ef[i];
    StageTimes ignored;
    const EncodedTensor a = cohort::codec::encode_with_feedback(ef[i].data(), delta[i].data(), beta, m.plans[i]);
    const EncodedTensor b = staged_encode(copy.data(), delta[i].data(), beta, m.plans[i], ignored);
    staged_matches = staged_matches && same_encoding(a, b) && copy == ef[i];
  }

  const auto header_rice = make_header(args, IndexCoding::kRice, 1);
  const auto header_p12 = make_header(args, IndexCoding::kPacked12, 1);
  const cohort::codec::DecodeLimits limits;
  const cohort::codec::Expectations expect;

  std::vector<double> t_ewf, t_ewf_threads, t_write_rice, t_write_p12, t_decode_rice, t_decode_p12;
  std::vector<int64_t> tensor_sizes(nt);
  for (size_t i = 0; i < nt; ++i) tensor_sizes[i] = m.plans[i].numel();
  const int encode_threads = cohort::codec::detail::job_threads(0, nt);
  std::vector<double> t_fold_topk, t_quant, t_fold_resid, t_idx_rice, t_idx_p12, t_staged_total;
  std::vector<EncodedTensor> encoded(nt);
  std::vector<uint8_t> obj_rice, obj_p12;
  uint64_t sink = 0;
  for (int64_t r = 0; r < reps; ++r) {
    // One window through the library's encoder, then its update objects, then their decoding.
    auto a = Clock::now();
    for (size_t i = 0; i < nt; ++i) {
      encoded[i] = cohort::codec::encode_with_feedback(ef[i].data(), delta[i].data(), beta, m.plans[i]);
    }
    auto b = Clock::now();
    t_ewf.push_back(seconds_between(a, b));
    // The same window on every hardware thread, tensors largest first (what the engine's encode does).
    a = Clock::now();
    cohort::codec::detail::run_jobs(tensor_sizes, encode_threads, [&](size_t i) {
      encoded[i] = cohort::codec::encode_with_feedback(ef[i].data(), delta[i].data(), beta, m.plans[i]);
    });
    b = Clock::now();
    t_ewf_threads.push_back(seconds_between(a, b));
    a = Clock::now();
    obj_rice = cohort::codec::write_update(header_rice, m.table, encoded);
    b = Clock::now();
    t_write_rice.push_back(seconds_between(a, b));
    a = Clock::now();
    obj_p12 = cohort::codec::write_update(header_p12, m.table, encoded);
    b = Clock::now();
    t_write_p12.push_back(seconds_between(a, b));
    a = Clock::now();
    {
      const auto u = cohort::codec::decode_update(obj_rice.data(), obj_rice.size(), limits, expect);
      sink += u.kept_values;
    }
    b = Clock::now();
    t_decode_rice.push_back(seconds_between(a, b));
    a = Clock::now();
    {
      const auto u = cohort::codec::decode_update(obj_p12.data(), obj_p12.size(), limits, expect);
      sink += u.kept_values;
    }
    b = Clock::now();
    t_decode_p12.push_back(seconds_between(a, b));

    // One more window through the staged replica, each stage timed per tensor, then the index coders.
    StageTimes st;
    std::vector<EncodedTensor> staged(nt);
    a = Clock::now();
    for (size_t i = 0; i < nt; ++i) {
      staged[i] = staged_encode(ef[i].data(), delta[i].data(), beta, m.plans[i], st);
    }
    b = Clock::now();
    t_staged_total.push_back(seconds_between(a, b));
    t_fold_topk.push_back(st.fold_topk);
    t_quant.push_back(st.quantize);
    t_fold_resid.push_back(st.fold_residual);
    double rice = 0;
    double p12 = 0;
    std::vector<uint8_t> stream;
    for (size_t i = 0; i < nt; ++i) {
      stream.clear();
      a = Clock::now();
      sink += cohort::codec::detail::write_rice_chunks(staged[i].indices, m.plans[i], stream);
      b = Clock::now();
      rice += seconds_between(a, b);
      sink += stream.size();
      a = Clock::now();
      sink += cohort::codec::detail::write_packed12(staged[i].indices).size();
      b = Clock::now();
      p12 += seconds_between(a, b);
    }
    t_idx_rice.push_back(rice);
    t_idx_p12.push_back(p12);
  }

  const double bytes = 4.0 * static_cast<double>(m.params);
  const double ewf = median(t_ewf);
  const double w_rice = median(t_write_rice);
  const double w_p12 = median(t_write_p12);
  const double fold_topk = median(t_fold_topk), quant = median(t_quant), fold_resid = median(t_fold_resid),
               idx_rice = median(t_idx_rice), idx_p12 = median(t_idx_p12);
  const double staged_sum = fold_topk + quant + fold_resid;
  auto stage = [&](double s, double of) { return rate(s, bytes).num("share_of_encoder", s / of); };
  Json stages;
  stages.obj("fold_topk", stage(fold_topk, staged_sum))
      .obj("quantize", stage(quant, staged_sum))
      .obj("fold_residual", stage(fold_resid, staged_sum))
      .obj("index_coding_rice", rate(idx_rice, bytes).num("share_of_full_path_rice", idx_rice / (ewf + w_rice)))
      .obj("index_coding_packed12", rate(idx_p12, bytes).num("share_of_full_path_packed12", idx_p12 / (ewf + w_p12)))
      .obj("write_update_other_rice",
           rate(w_rice - idx_rice, bytes).str("what", "codes packing, table, BLAKE2b-256 trailer, copies"))
      .num("stages_sum_seconds", staged_sum)
      .num("staged_window_seconds", median(t_staged_total));
  Json encode;
  encode.obj("encode_with_feedback", rate(ewf, bytes))
      .obj("encode_with_feedback_all_threads",
           rate(median(t_ewf_threads), bytes)
               .integer("threads", encode_threads)
               .str("what", "tensors on codec::detail::run_jobs, largest first, as ErrorFeedback::fold_and_encode"))
      .obj("write_update_rice", rate(w_rice, bytes))
      .obj("write_update_packed12", rate(w_p12, bytes))
      .obj("full_path_rice", rate(ewf + w_rice, bytes))
      .obj("full_path_packed12", rate(ewf + w_p12, bytes))
      .obj("stages", stages);
  Json decode;
  decode.obj("rice", rate(median(t_decode_rice), bytes)).obj("packed12", rate(median(t_decode_p12), bytes));
  Json sizes;
  sizes.obj("rice", size_json(m, obj_rice, encoded, IndexCoding::kRice))
      .obj("packed12", size_json(m, obj_p12, encoded, IndexCoding::kPacked12));

  Json out = model_json(m);
  out.str("mode", "encode")
      .str("data", args.at("data"))
      .str("data_description", data_description(kind))
      .num("sigma", sigma)
      .integer("seed", static_cast<int64_t>(seed))
      .num("beta", beta)
      .integer("tile", as_int(args, "tile"))
      .integer("topk", as_int(args, "topk"))
      .integer("reps", reps)
      .str("timing", "median of reps; single thread except encode_with_feedback_all_threads; GB/s = 4 bytes x "
                     "parameters / seconds")
      .str("windows", "e starts at 0; one untimed warm-up window, then per rep one window through "
                      "encode_with_feedback and one through the staged replica, each folding the same fixed delta")
      .boolean("staged_replica_matches_library", staged_matches)
      .num("setup_seconds", setup_seconds)
      .obj("sizes", sizes)
      .obj("encode", encode)
      .obj("decode", decode)
      .raw("loadavg", load_average());
  g_sink = sink;
  std::printf("%s\n", out.text().c_str());
  return staged_matches ? 0 : 3;
}

// --------------------------------------------------------------------------------------- aggregate mode

int run_aggregate(const Args& args) {
  const Model m = load_model(args);
  const Data kind = parse_data(args.at("data"));
  const double sigma = as_double(args, "sigma");
  const auto seed = static_cast<uint64_t>(as_int(args, "seed"));
  const int64_t reps = std::max<int64_t>(1, as_int(args, "reps"));
  const int64_t peers = as_int(args, "peers");
  const double rho = as_double(args, "correlation");
  if (peers < 1 || peers > 250 || !(rho >= 0.0 && rho <= 1.0)) {
    throw cohort::InvalidArgumentError("--peers 1..250 and --correlation in [0, 1]");
  }
  const cohort::codec::DecodeLimits limits;
  const cohort::codec::Expectations expect;

  // Setup: every peer's first-window update (e = Δ_p), written, then decoded once.
  // Δ_p = sqrt(ρ)·common + sqrt(1 − ρ)·own_p per tensor.
  const auto setup_start = Clock::now();
  std::vector<cohort::codec::DecodedUpdate> decoded(static_cast<size_t>(peers));
  std::vector<uint64_t> update_bytes(static_cast<size_t>(peers));
  parallel_for(static_cast<size_t>(peers), [&](size_t p) {
    std::vector<float> own(static_cast<size_t>(m.max_numel));
    std::vector<float> common(rho > 0 ? static_cast<size_t>(m.max_numel) : 0);
    std::vector<EncodedTensor> encoded(m.table.size());
    for (size_t i = 0; i < m.table.size(); ++i) {
      fill(m.plans[i], kind, sigma, seed, 1 + p, i, own.data());
      if (rho > 0) {
        fill(m.plans[i], kind, sigma, seed, 0, i, common.data());
        const auto a = static_cast<float>(std::sqrt(rho));
        const auto b = static_cast<float>(std::sqrt(1.0 - rho));
        for (size_t j = 0; j < static_cast<size_t>(m.plans[i].numel()); ++j) own[j] = a * common[j] + b * own[j];
      }
      encoded[i] = cohort::codec::encode_tensor(own.data(), m.plans[i]);
    }
    const auto object = cohort::codec::write_update(make_header(args, IndexCoding::kRice, static_cast<uint8_t>(p + 1)),
                                                    m.table, encoded);
    update_bytes[p] = object.size();
    decoded[p] = cohort::codec::decode_update(object.data(), object.size(), limits, expect);
  });
  const double setup_seconds = seconds_between(setup_start, Clock::now());

  std::vector<const cohort::codec::DecodedUpdate*> selected;
  for (const auto& u : decoded) selected.push_back(&u);
  const auto header = make_header(args, IndexCoding::kRice, 0xAA);
  std::vector<double> t_agg, t_write, t_decode;
  std::vector<uint8_t> object;
  uint64_t entries = 0;
  for (int64_t r = 0; r < reps; ++r) {
    auto a = Clock::now();
    const cohort::codec::Aggregate agg = cohort::codec::aggregate_updates(header, selected);
    auto b = Clock::now();
    t_agg.push_back(seconds_between(a, b));
    a = Clock::now();
    object = cohort::codec::write_aggregate(agg);
    b = Clock::now();
    t_write.push_back(seconds_between(a, b));
    entries = 0;
    for (const auto& t : agg.tensors) entries += t.indices.size();
    a = Clock::now();
    const auto back = cohort::codec::decode_aggregate(object.data(), object.size(), limits, expect);
    b = Clock::now();
    t_decode.push_back(seconds_between(a, b));
    if (back.tensors.size() != agg.tensors.size()) throw std::runtime_error("aggregate round trip lost tensors");
  }
  const double density = static_cast<double>(m.kept) / static_cast<double>(m.params);
  const double union_density = static_cast<double>(entries) / static_cast<double>(m.params);
  const double agg_s = median(t_agg), write_s = median(t_write);
  const double params = static_cast<double>(m.params);
  Json out = model_json(m);
  out.str("mode", "aggregate")
      .str("data", args.at("data"))
      .str("data_description", data_description(kind))
      .integer("peers", peers)
      .num("correlation", rho)
      .str("peer_data", rho > 0 ? "delta_p = sqrt(rho) common + sqrt(1 - rho) own_p (per-peer seeds), first window"
                                : "independent per-peer pseudo-gradients (per-peer seeds), first window: the "
                                  "largest union")
      .integer("reps", reps)
      .str("timing", "median of reps; aggregate_updates, write_aggregate and decode_aggregate run tensors on "
                     "`threads` threads (every hardware thread); updates decoded once before timing")
      .integer("threads", cohort::codec::detail::job_threads(0, m.table.size()))
      .num("setup_seconds", setup_seconds)
      .integer("update_bytes_per_peer", static_cast<int64_t>(update_bytes.front()))
      .obj("aggregate_updates", Json().num("seconds", agg_s))
      .obj("write_aggregate", Json().num("seconds", write_s))
      .num("aggregate_and_write_seconds", agg_s + write_s)
      .obj("decode_aggregate", rate(median(t_decode), 4.0 * params))
      .integer("aggregate_bytes", static_cast<int64_t>(object.size()))
      .num("aggregate_bits_per_parameter", 8.0 * static_cast<double>(object.size()) / params)
      .integer("entries", static_cast<int64_t>(entries))
      .num("union_density", union_density)
      .num("union_density_if_independent", 1.0 - std::pow(1.0 - density, static_cast<double>(peers)))
      .raw("loadavg", load_average());
  std::printf("%s\n", out.text().c_str());
  return 0;
}

// --------------------------------------------------------------------------------------------- gpu mode

#if defined(COHORT_HAVE_CUDA_KERNELS)

void cuda_check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
}

int run_gpu(const Args& args) {
  int devices = 0;
  const cudaError_t probe = cudaGetDeviceCount(&devices);
  if (probe != cudaSuccess || devices == 0) {
    Json out;
    out.str("mode", "gpu").raw("gpu", "null").str(
        "reason", probe != cudaSuccess ? std::string("no usable CUDA device: ") + cudaGetErrorString(probe)
                                       : std::string("no CUDA device"));
    std::printf("%s\n", out.text().c_str());
    return 0;
  }
  const Model m = load_model(args);
  const Data kind = parse_data(args.at("data"));
  const double sigma = as_double(args, "sigma");
  const auto seed = static_cast<uint64_t>(as_int(args, "seed"));
  const auto beta = static_cast<float>(as_double(args, "beta"));
  const int64_t reps = std::max<int64_t>(1, as_int(args, "reps"));
  const size_t nt = m.table.size();

  cudaDeviceProp prop{};
  cuda_check(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  int clock_khz = 0;
  int bus_bits = 0;
  cuda_check(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, 0), "memory clock");
  cuda_check(cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, 0), "bus width");
  // Peak DRAM bandwidth: memory clock × bus width × 2 (double data rate).
  const double peak = static_cast<double>(clock_khz) * 1e3 * (static_cast<double>(bus_bits) / 8.0) * 2.0;

  std::vector<cohort::kernels::ChunkGeometry> geo(nt);
  std::vector<float*> d_ef(nt), d_delta(nt), d_next(nt);
  std::vector<uint16_t*> d_idx(nt);
  std::vector<uint8_t*> d_codes(nt);
  float* d_values = nullptr;
  void* d_scratch = nullptr;
  size_t scratch_bytes = 8;
  std::vector<float> host(static_cast<size_t>(m.max_numel));
  for (size_t i = 0; i < nt; ++i) {
    geo[i] = cohort::kernels::chunk_geometry_of(m.plans[i]);
    scratch_bytes = std::max(scratch_bytes, cohort::kernels::quantize_codes_scratch_bytes(geo[i]));
    const auto n = static_cast<size_t>(m.plans[i].numel());
    const auto k = static_cast<size_t>(m.plans[i].total_kept());
    cuda_check(cudaMalloc(reinterpret_cast<void**>(&d_ef[i]), n * sizeof(float)), "cudaMalloc ef");
    cuda_check(cudaMalloc(reinterpret_cast<void**>(&d_next[i]), n * sizeof(float)), "cudaMalloc ef_next");
    cuda_check(cudaMalloc(reinterpret_cast<void**>(&d_delta[i]), n * sizeof(float)), "cudaMalloc delta");
    cuda_check(cudaMalloc(reinterpret_cast<void**>(&d_idx[i]), k * sizeof(uint16_t)), "cudaMalloc indices");
    cuda_check(cudaMalloc(reinterpret_cast<void**>(&d_codes[i]), k), "cudaMalloc codes");
    cuda_check(cudaMemset(d_ef[i], 0, n * sizeof(float)), "cudaMemset ef");
    fill(m.plans[i], kind, sigma, seed, 0, i, host.data());
    cuda_check(cudaMemcpy(d_delta[i], host.data(), n * sizeof(float), cudaMemcpyHostToDevice), "cudaMemcpy delta");
  }
  cuda_check(cudaMalloc(reinterpret_cast<void**>(&d_values), static_cast<size_t>(m.max_kept) * sizeof(float)),
             "cudaMalloc values");
  cuda_check(cudaMalloc(&d_scratch, scratch_bytes), "cudaMalloc scratch");

  // The miner's device encode: every tensor in one encode_batch call (one synchronization), e and ef_next
  // swapped after each window as a miner would. Host wall clock is the honest figure.
  std::vector<cohort::kernels::EncodeTensor> table(nt);
  uint16_t* d_batch_idx = nullptr;
  uint8_t* d_batch_codes = nullptr;
  cuda_check(cudaMalloc(reinterpret_cast<void**>(&d_batch_idx), static_cast<size_t>(m.kept) * sizeof(uint16_t)),
             "cudaMalloc batch indices");
  cuda_check(cudaMalloc(reinterpret_cast<void**>(&d_batch_codes), static_cast<size_t>(m.kept)), "cudaMalloc codes");
  for (size_t i = 0; i < nt; ++i) table[i] = {geo[i], d_ef[i], d_delta[i], d_next[i]};
  void* d_batch_scratch = nullptr;
  cuda_check(cudaMalloc(&d_batch_scratch, cohort::kernels::encode_batch_scratch_bytes(table.data(), static_cast<int>(nt))),
             "cudaMalloc batch scratch");
  std::vector<cohort::kernels::QuantResult> results(nt);
  // Phase marks: device time of fold + top-k, quantization and residual within each timed call.
  cudaEvent_t ev_start = nullptr;
  cohort::kernels::EncodeBatchMarks marks;
  for (cudaEvent_t* e : {&ev_start, &marks.folded, &marks.quantized, &marks.done}) {
    cuda_check(cudaEventCreate(e), "cudaEventCreate");
  }
  auto batch_window = [&] {
    bool finite = false;
    cuda_check(cudaEventRecord(ev_start, nullptr), "cudaEventRecord");
    cuda_check(cohort::kernels::encode_batch(table.data(), static_cast<int>(nt), beta, d_batch_idx, d_batch_codes,
                                             d_batch_scratch, nullptr, results.data(), &finite, &marks),
               "encode_batch");
    if (!finite) throw std::runtime_error("encode_batch: a non-finite folded value");
    for (size_t i = 0; i < nt; ++i) {
      std::swap(d_ef[i], d_next[i]);
      table[i].ef_N = d_ef[i];
      table[i].ef_next_N = d_next[i];
    }
  };
  auto event_seconds = [](cudaEvent_t from, cudaEvent_t to) {
    float ms = 0;
    cuda_check(cudaEventElapsedTime(&ms, from, to), "cudaEventElapsedTime");
    return static_cast<double>(ms) / 1e3;
  };
  batch_window();  // warm-up
  std::vector<double> t_batch, t_fold, t_quantize, t_residual;
  for (int64_t r = 0; r < reps; ++r) {
    const auto a = Clock::now();
    batch_window();
    t_batch.push_back(seconds_between(a, Clock::now()));
    t_fold.push_back(event_seconds(ev_start, marks.folded));
    t_quantize.push_back(event_seconds(marks.folded, marks.quantized));
    t_residual.push_back(event_seconds(marks.quantized, marks.done));
  }
  for (cudaEvent_t e : {ev_start, marks.folded, marks.quantized, marks.done}) cudaEventDestroy(e);

  // The same work tensor by tensor (the launch-per-tensor design ADR 0020 replaced), for comparison:
  // quantize_codes synchronizes per tensor (shift and codebook go to the host).
  auto window = [&] {
    for (size_t i = 0; i < nt; ++i) {
      cohort::kernels::QuantResult q;
      cuda_check(cohort::kernels::launch_ef_update(d_ef[i], d_delta[i], beta, m.plans[i].numel(), nullptr), "ef_update");
      cuda_check(cohort::kernels::launch_topk_chunks(d_ef[i], geo[i], d_idx[i], d_values, nullptr), "topk_chunks");
      cuda_check(cohort::kernels::quantize_codes(d_values, geo[i], d_codes[i], d_scratch, nullptr, &q), "quantize_codes");
    }
    cuda_check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  };
  window();  // warm-up
  std::vector<double> t_pipe;
  for (int64_t r = 0; r < reps; ++r) {
    const auto a = Clock::now();
    window();
    t_pipe.push_back(seconds_between(a, Clock::now()));
  }

  // Each kernel alone over every tensor, back to back on one stream, timed by events.
  cudaEvent_t start = nullptr;
  cudaEvent_t stop = nullptr;
  cuda_check(cudaEventCreate(&start), "cudaEventCreate");
  cuda_check(cudaEventCreate(&stop), "cudaEventCreate");
  auto timed = [&](auto&& body) {
    std::vector<double> s;
    for (int64_t r = 0; r < reps + 1; ++r) {
      cuda_check(cudaEventRecord(start, nullptr), "cudaEventRecord");
      body();
      cuda_check(cudaEventRecord(stop, nullptr), "cudaEventRecord");
      cuda_check(cudaEventSynchronize(stop), "cudaEventSynchronize");
      float ms = 0;
      cuda_check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
      if (r > 0) s.push_back(ms / 1e3);
    }
    return median(s);
  };
  const double t_ef = timed([&] {
    for (size_t i = 0; i < nt; ++i) {
      cuda_check(cohort::kernels::launch_ef_update(d_ef[i], d_delta[i], beta, m.plans[i].numel(), nullptr), "ef_update");
    }
  });
  const double t_topk = timed([&] {
    for (size_t i = 0; i < nt; ++i) {
      cuda_check(cohort::kernels::launch_topk_chunks(d_ef[i], geo[i], d_idx[i], d_values, nullptr), "topk_chunks");
    }
  });
  const double t_quant = timed([&] {
    for (size_t i = 0; i < nt; ++i) {
      cohort::kernels::QuantResult q;
      cuda_check(cohort::kernels::quantize_codes(d_values, geo[i], d_codes[i], d_scratch, nullptr, &q), "quantize_codes");
    }
  });

  const double n = static_cast<double>(m.params);
  const double k = static_cast<double>(m.kept);
  // Least DRAM traffic of each kernel: ef_update reads e and Δ and writes e (12 B/param); topk reads e (4)
  // and writes index + value per kept entry (6); quantize reads the kept values (4) and writes a code (1).
  const double b_ef = 12.0 * n;
  const double b_topk = 4.0 * n + 6.0 * k;
  const double b_quant = 5.0 * k;
  const double pipe = median(t_pipe);
  const double batch = median(t_batch);
  // encode_batch: fold_select reads e and Δ and writes e' (12 B/param) and an index and value per kept
  // entry (6); the three quantize passes read the values (12) and write a code (1); the residual reads
  // index and code (3) and updates e' (8).
  const double b_fold = 12.0 * n + 6.0 * k;
  const double b_quantize = 13.0 * k;
  const double b_residual = 11.0 * k;
  auto kernel = [&](double s, double b) {
    return Json()
        .num("seconds", s)
        .num("input_gbps", 4.0 * n / s / 1e9)
        .num("input_bandwidth_fraction", 4.0 * n / s / peak)
        .num("modeled_traffic_bytes", b)
        .num("traffic_gbps", b / s / 1e9)
        .num("bandwidth_fraction", b / s / peak);
  };
  Json kernels;
  kernels.obj("ef_update", kernel(t_ef, b_ef))
      .obj("topk_chunks", kernel(t_topk, b_topk))
      .obj("quantize_codes", kernel(t_quant, b_quant).str("note", "synchronizes once per tensor (codebook to host)"))
      .num("kernels_sum_seconds", t_ef + t_topk + t_quant);
  Json out = model_json(m);
  out.str("mode", "gpu")
      .str("device", prop.name)
      .str("data", args.at("data"))
      .integer("reps", reps)
      .integer("memory_clock_khz", clock_khz)
      .integer("bus_width_bits", bus_bits)
      .num("peak_bandwidth_gbps", peak / 1e9)
      .obj("pipeline", kernel(batch, b_fold + b_quantize + b_residual)
                           .integer("tensors", static_cast<int64_t>(nt))
                           .obj("phases", Json()
                                              .obj("fold_select", kernel(median(t_fold), b_fold))
                                              .obj("quantize", kernel(median(t_quantize), b_quantize))
                                              .obj("residual", kernel(median(t_residual), b_residual)))
                           .str("what", "encode_batch over every tensor: fold + top-k, quantization, residual, one "
                                        "synchronization; device buffers, host wall clock, no payload copies"))
      .obj("per_tensor", kernel(pipe, b_ef + b_topk + b_quant)
                             .str("what", "ef_update -> topk_chunks -> quantize_codes per tensor, host wall clock "
                                          "(launches and per-tensor syncs included), no residual"))
      .obj("kernels", kernels)
      .str("traffic_model", "pipeline: 12 B/param + 30 B/kept; per_tensor: 12 B/param ef_update + 4 B/param + "
                            "6 B/kept topk_chunks + 5 B/kept quantize_codes")
      .raw("loadavg", load_average());
  std::printf("%s\n", out.text().c_str());

  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  for (size_t i = 0; i < nt; ++i) {
    cudaFree(d_ef[i]);
    cudaFree(d_next[i]);
    cudaFree(d_delta[i]);
    cudaFree(d_idx[i]);
    cudaFree(d_codes[i]);
  }
  cudaFree(d_values);
  cudaFree(d_scratch);
  cudaFree(d_batch_idx);
  cudaFree(d_batch_codes);
  cudaFree(d_batch_scratch);
  return 0;
}

#else

int run_gpu(const Args&) {
  Json out;
  out.str("mode", "gpu").raw("gpu", "null").str("reason", "built without the CUDA kernels (no nvcc at configure time)");
  std::printf("%s\n", out.text().c_str());
  return 0;
}

#endif

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args args = parse_args(argc, argv);
    const std::string& mode = args.at("mode");
    if (mode == "encode") return run_encode(args);
    if (mode == "aggregate") return run_aggregate(args);
    if (mode == "gpu") return run_gpu(args);
    throw cohort::InvalidArgumentError("--mode encode|aggregate|gpu, not " + mode);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cohort_codec_bench: %s\n", e.what());
    return 2;
  }
}
