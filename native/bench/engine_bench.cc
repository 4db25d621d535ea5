// cohort_engine_bench: training throughput of one preset, without Node. Prints one JSON object:
// tokens/s, achieved TFLOP/s (6·N + attention FLOPs per token) and, given the device's peak, MFU.
//   cohort_engine_bench --preset 150M --device cuda --dtype bf16 --batch 8 --seq 2048 --steps 10
//                       --warmup 3 --peak-tflops 989.5 [--fused 1]
// --fused 1 runs RMSNorm, the QKV split + RoPE, SwiGLU and the loss as the fused ops (src/kernels) instead of
// eager chains. --breakdown 1 adds where a micro-batch's time goes: forward, backward, and the rest of the
// step (optimizer, weight casts, clipping), each timed apart with a host sync after it.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "cohort/cpu_runtime.h"
#include "cohort/errors.h"
#include "cohort/trainer.h"
#include "cohort/version.h"

#include <torch/version.h>

namespace {

std::map<std::string, std::string> parse_args(int argc, char** argv) {
  std::map<std::string, std::string> args = {{"preset", "devnet"}, {"device", "cpu"}, {"dtype", "fp32"},
                                             {"batch", "8"},       {"seq", "256"},    {"accum", "1"},
                                             {"steps", "5"},       {"warmup", "1"},   {"peak-tflops", "0"},
                                             {"threads", "0"},     {"fused", "0"},     {"breakdown", "0"}};
  for (int i = 1; i < argc; ++i) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0 || i + 1 >= argc || args.count(key.substr(2)) == 0) {
      throw cohort::InvalidArgumentError("usage: cohort_engine_bench [--preset P] [--device cpu|cuda] [--dtype fp32|bf16] "
                                         "[--batch B] [--seq T] [--accum A] [--steps S] [--warmup W] [--peak-tflops F] "
                                         "[--threads N] [--fused 0|1] [--breakdown 0|1]; bad argument " + key);
    }
    args[key.substr(2)] = argv[++i];
  }
  return args;
}

int64_t as_int(const std::map<std::string, std::string>& args, const std::string& key) { return std::stoll(args.at(key)); }

double seconds_since(std::chrono::steady_clock::time_point begin) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
}

double median_of(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

// Median seconds of one micro-batch's forward and of its backward, `repeats` times; item() syncs the device.
std::pair<double, double> forward_backward_seconds(const cohort::LlamaModel& model, const at::Tensor& micro_BT, int64_t repeats) {
  std::vector<double> forward, backward;
  for (int64_t i = 0; i < repeats; ++i) {
    auto begin = std::chrono::steady_clock::now();
    const at::Tensor loss = model.loss(micro_BT);
    loss.item<double>();
    forward.push_back(seconds_since(begin));
    begin = std::chrono::steady_clock::now();
    loss.backward();
    model.parameters().front().grad().sum().item<double>();
    backward.push_back(seconds_since(begin));
    for (const auto& p : model.parameters()) p.mutable_grad() = at::Tensor();
  }
  return {median_of(forward), median_of(backward)};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto args = parse_args(argc, argv);
    const cohort::ModelConfig config = cohort::preset_config(args.at("preset"));
    const bool cuda = args.at("device") == "cuda";
    const cohort::CpuRuntime cpu = cuda ? cohort::CpuRuntime{0, at::get_num_threads(), false}
                                        : cohort::configure_cpu_runtime(static_cast<int>(as_int(args, "threads")));
    const bool bf16 = args.at("dtype") == "bf16";
    cohort::ModelPlacement placement{cuda ? at::Device(at::kCUDA) : at::Device(at::kCPU), at::kFloat,
                                     bf16 ? at::kBFloat16 : at::kFloat};
    placement.fused_ops = as_int(args, "fused") != 0;
    const int64_t micro = as_int(args, "batch"), accum = as_int(args, "accum"), T = as_int(args, "seq");
    const int64_t steps = as_int(args, "steps"), warmup = as_int(args, "warmup");

    cohort::LlamaModel model(config, 0, placement);
    cohort::TrainerConfig tc;
    tc.lr = 1e-4;
    tc.warmup_steps = 10;
    tc.micro_batch_size = micro;
    cohort::Trainer trainer(model, tc);
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(1);
    const at::Tensor data_NT = at::randint(50257, {micro * accum, T}, gen, at::kLong).to(placement.device);

    for (int64_t i = 0; i < warmup; ++i) trainer.step(data_NT);
    std::vector<double> seconds;
    double last_loss = 0;
    for (int64_t i = 0; i < steps; ++i) {
      const auto begin = std::chrono::steady_clock::now();
      last_loss = trainer.step(data_NT).first;  // returns host values: the step is complete when it returns
      seconds.push_back(seconds_since(begin));
    }
    const double median = median_of(seconds);
    std::string breakdown;
    if (as_int(args, "breakdown") != 0) {
      const auto [fwd, bwd] = forward_backward_seconds(model, data_NT.narrow(0, 0, micro), std::max<int64_t>(steps, 1));
      const double rest = median / static_cast<double>(accum) - fwd - bwd;
      breakdown = ",\"micro_batch_forward_seconds\":" + std::to_string(fwd) + ",\"micro_batch_backward_seconds\":" +
                  std::to_string(bwd) + ",\"rest_per_micro_batch_seconds\":" + std::to_string(rest);
    }
    const double tokens_per_step = static_cast<double>(micro * accum * T);
    const double tokens_per_second = tokens_per_step / median;
    const double tflops = tokens_per_second * cohort::train_flops_per_token(config, T) / 1e12;
    const double peak = std::stod(args.at("peak-tflops"));
    std::printf(
        "{\"engine\":\"%s\",\"torch\":\"%s\",\"preset\":\"%s\",\"parameters\":%lld,\"device\":\"%s\",\"dtype\":\"%s\",\"fused_ops\":%s,"
        "\"blas_threads\":%d,\"intraop_threads\":%d,\"batch\":%lld,\"accum\":%lld,\"seq\":%lld,\"steps\":%lld,\"median_step_seconds\":%.6f,"
        "\"tokens_per_second\":%.1f,\"achieved_tflops\":%.4f,\"mfu\":%s,\"final_loss\":%.4f%s}\n",
        COHORT_ENGINE_VERSION, TORCH_VERSION, config.preset.c_str(), static_cast<long long>(cohort::parameter_count(config)),
        args.at("device").c_str(), args.at("dtype").c_str(), model.uses_fused_ops() ? "true" : "false", cpu.blas_threads, cpu.intraop_threads, static_cast<long long>(micro),
        static_cast<long long>(accum), static_cast<long long>(T), static_cast<long long>(steps), median, tokens_per_second,
        tflops, peak > 0 ? std::to_string(tflops / peak).c_str() : "null", last_loss, breakdown.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cohort_engine_bench: %s\n", e.what());
    return 2;
  }
}
