// Engine throughput: tokens/s and achieved GFLOP/s of the devnet and 150M presets on this CPU, and, when a
// CUDA device is present, tokens/s and MFU of 150M and 1B in bf16; each with the eager op chains and with
// the fused ops (fused_ops: true). Runs the C++ bench binary (no Node in
// the measured loop). Writes test/bench/results/engine.json. GPU figures measured on another machine (the
// device tool; see native/README.md) are kept, with their provenance, when this machine has no GPU.
//   pnpm bench engine [--quick]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const quick = process.argv.includes('--quick');
const binary = resolve(root, 'native/build/cohort_engine_bench');
const out = resolve(root, 'test/bench/results/engine.json');
if (!existsSync(binary)) {
  console.error(`bench engine: ${binary} is missing; run \`make build\` first`);
  process.exit(1);
}

function run(args) {
  const res = spawnSync(
    binary,
    args.flatMap(([k, v]) => [`--${k}`, String(v)]),
    { encoding: 'utf8' },
  );
  if (res.status !== 0) throw new Error(`cohort_engine_bench ${JSON.stringify(args)} failed: ${res.stderr}`);
  const result = JSON.parse(res.stdout.trim().split('\n').at(-1));
  console.log(
    `${result.preset} ${result.device} ${result.dtype}${result.fused_ops ? ' fused' : ''} b${result.batch}x${result.seq}: ${result.tokens_per_second.toFixed(1)} tok/s, ` +
      `${(result.achieved_tflops * 1000).toFixed(1)} GFLOP/s${result.mfu === null ? '' : `, MFU ${(result.mfu * 100).toFixed(1)}%`}`,
  );
  return result;
}

const threads = cpus().length;
const cpu = (preset, batch, seq, steps, fused) =>
  run([
    ['preset', preset],
    ['device', 'cpu'],
    ['dtype', 'fp32'],
    ['batch', batch],
    ['seq', seq],
    ['steps', steps],
    ['warmup', 1],
    ['threads', threads],
    ['fused', fused],
  ]);
const cpuRuns = [
  cpu('devnet', 4, 128, quick ? 3 : 10, 0),
  cpu('devnet', 4, 128, quick ? 3 : 10, 1),
  cpu('150M', 1, 256, quick ? 1 : 3, 0),
  cpu('150M', 1, 256, quick ? 1 : 3, 1),
];

const hasGpu = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' }).status === 0;
let gpu;
if (hasGpu) {
  const name = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
    encoding: 'utf8',
  }).trim();
  // Dense bf16 peak (TFLOP/s) for MFU; unknown devices report MFU null.
  const peak = /H100|H200/.test(name) ? 989.5 : /A100/.test(name) ? 312 : 0;
  const g = (preset, batch, fused = 0) =>
    run([
      ['preset', preset],
      ['device', 'cuda'],
      ['dtype', 'bf16'],
      ['batch', batch],
      ['seq', 2048],
      ['steps', quick ? 3 : 8],
      ['warmup', 2],
      ['peak-tflops', peak],
      ['fused', fused],
    ]);
  gpu = {
    device: name,
    measured: new Date().toISOString(),
    source: 'this machine',
    runs: [g('150M', 16), g('150M', 32), g('1B', 8), g('1B', 12), g('150M', 32, 1), g('1B', 12, 1)],
  };
} else if (existsSync(out)) {
  gpu = JSON.parse(readFileSync(out, 'utf8')).gpu ?? null;
  if (gpu) console.log(`no GPU here: keeping the GPU figures measured on ${gpu.device} (${gpu.measured})`);
}

const result = {
  bench: 'engine',
  date: new Date().toISOString(),
  quick,
  machine: {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: threads,
    // The BLAS kernel changes the figures (and the bits): OpenBLAS picks one per CPU unless told.
    openblasCoretype: process.env.OPENBLAS_CORETYPE ?? 'auto',
  },
  flopsConvention: '6 x matmul parameters + 12 x layers x dim x seq per token (forward + backward)',
  cpu: cpuRuns,
  gpu: gpu ?? null,
  goals: { mfu_1B_bf16_h100: 0.4 },
};
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${out}`);
