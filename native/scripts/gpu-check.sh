#!/usr/bin/env bash
# The engine's GPU check, for a CUDA machine with PyTorch installed and no Node (e.g. the device tool):
# configure against PyTorch's bundled libtorch, build, run every C++ test (CUDA suites included), and run
# the engine bench for 150M and 1B in bf16, with the eager chains and with the fused ops. Results (one JSON object per bench run) go to $OUT when set,
# else to native/build-gpu/engine-gpu.jsonl (the codec bench's GPU line to codec-gpu.json, the GPU's name to
# device.txt); `node scripts/gpu-results.mjs <those dirs>` files them into test/bench/results.
#   bash native/scripts/gpu-check.sh [--no-bench | --bench-only]
# --bench-only skips configure, build and tests (a machine that ran the check already keeps build-gpu/);
# COHORT_GPU_RUNS="1B 12 1;1B 16 1" replaces the bench runs (preset, micro-batch, fused ops 0|1): the device
# tool gives a command 10 minutes, so a long list may need two calls.
set -euo pipefail
mode=${1:-}
cd "$(dirname "$0")/.."
build=${COHORT_GPU_BUILD_DIR:-build-gpu}
results=${OUT:-$build}/engine-gpu.jsonl
if [ "$mode" != "--bench-only" ]; then
  torch_cmake=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$torch_cmake" \
    -DCMAKE_CUDA_ARCHITECTURES="${CMAKE_CUDA_ARCHITECTURES:-90}" -DCOHORT_WITH_CUDA=ON > "$build.configure.log" 2>&1 ||
    { tail -30 "$build.configure.log"; exit 1; }
  cmake --build "$build" -j "$(nproc)"
  ctest --test-dir "$build" --output-on-failure
fi
[ "$mode" = "--no-bench" ] && exit 0
name=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n1)
mkdir -p "${OUT:-$build}"
echo "$name" > "${OUT:-$build}/device.txt"  # for scripts/gpu-results.mjs
case "$name" in *H100* | *H200*) peak=989.5 ;; *A100*) peak=312 ;; *) peak=0 ;; esac
mkdir -p "$(dirname "$results")"
# preset, micro-batch, fused ops (0 eager chains, 1 the fused kernels). A run that fails (e.g. out of memory at
# a batch only the fused ops' smaller activations allow) prints its error and the script goes on.
IFS=';' read -r -a runs <<< "${COHORT_GPU_RUNS:-150M 16 0;150M 32 0;1B 8 0;1B 12 0;150M 32 1;1B 12 1;1B 16 1}"
for run in "${runs[@]}"; do
  set -- $run
  "$build/cohort_engine_bench" --preset "$1" --batch "$2" --seq 2048 --device cuda --dtype bf16 --steps 8 --warmup 3 \
    --peak-tflops "$peak" --fused "$3" --breakdown 1 | tee -a "$results" || echo "engine bench $run failed (rc $?)" >&2
done
# The codec's batched encode (encode_batch: fold + top-k, quantization, residual; one synchronization) on
# the 150M shape, and the per-tensor sequence beside it: GB/s and the fraction of the device's memory
# bandwidth (the pipeline's is filed into codec.json by scripts/gpu-results.mjs).
"$build/cohort_codec_bench" --mode gpu --data gaussian | tee "${OUT:-$build}/codec-gpu.json"
echo "results: $results and ${OUT:-$build}/codec-gpu.json ($name); file them with node scripts/gpu-results.mjs ${OUT:-$build}"
