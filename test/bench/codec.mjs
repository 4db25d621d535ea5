// Codec benchmark: the SparseLoCo update codec (docs/wire-format.md) on a 150M-shaped model at density 1/64
// (tile 64, top-k 64). Measures bits per parameter of both index codings against Templar's as-stored
// 0.3125, single-thread encode / write / decode GB/s with a per-stage breakdown, the aggregation of 20
// peers, and, when a CUDA device is present, the kernel pipeline ef_update → topk_chunks → quantize_codes
// against the device's memory bandwidth. Runs the C++ bench binary (no Node in the measured loops). Writes
// test/bench/results/codec.json. GPU figures measured on another machine are kept, with their provenance,
// when this machine has no GPU.
//   pnpm bench codec [--quick]
//   COHORT_CODEC_BENCH=/path/to/cohort_codec_bench pnpm bench codec   (another build of the binary)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const quick = process.argv.includes('--quick');
const binary = resolve(root, process.env.COHORT_CODEC_BENCH ?? 'native/build/cohort_codec_bench');
const out = resolve(root, 'test/bench/results/codec.json');
if (!existsSync(binary)) {
  console.error(`bench codec: ${binary} is missing; run \`make build\` first (or set COHORT_CODEC_BENCH)`);
  process.exit(1);
}

// --quick: one transformer layer of the 150M shape (no embedding) and fewer repetitions, so the whole
// bench finishes in well under a minute on a small machine. The full run covers every tensor.
const subset = quick ? { layers: 1, embedding: 0 } : { layers: -1, embedding: 1 };
const reps = quick ? 2 : 3;
const common = { preset: '150M', tile: 64, topk: 64, seed: 1, reps, ...subset };

function run(options) {
  const args = Object.entries({ ...common, ...options }).flatMap(([k, v]) => [`--${k}`, String(v)]);
  const res = spawnSync(binary, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (res.status !== 0) {
    throw new Error(`cohort_codec_bench ${args.join(' ')} failed (${res.status}): ${res.stderr}`);
  }
  return JSON.parse(res.stdout.trim().split('\n').at(-1));
}

const gbps = (x) => `${x.gbps.toFixed(2)} GB/s`;
const loadStart = loadavg();

const encodes = {};
for (const data of ['gaussian', 'heavy']) {
  const r = run({ mode: 'encode', data });
  const s = r.encode.stages;
  console.log(
    `${data}: rice ${r.sizes.rice.bits_per_parameter.toFixed(4)} bits/param (${r.sizes.rice.ratio_vs_fp32.toFixed(1)}x), ` +
      `packed12 ${r.sizes.packed12.bits_per_parameter.toFixed(4)} (${r.sizes.packed12.ratio_vs_fp32.toFixed(1)}x); ` +
      `encode ${gbps(r.encode.encode_with_feedback)} (${gbps(r.encode.encode_with_feedback_all_threads)} on ${r.encode.encode_with_feedback_all_threads.threads} threads), full ${gbps(r.encode.full_path_rice)}, decode ${gbps(r.decode.rice)}`,
  );
  console.log(
    `  stages: fold + top-k ${gbps(s.fold_topk)}, quantize ${gbps(s.quantize)}, ` +
      `fold + residual ${gbps(s.fold_residual)}, rice ${gbps(s.index_coding_rice)}`,
  );
  encodes[data] = r;
}

const aggregate = run({ mode: 'aggregate', data: 'gaussian', peers: 20 });
console.log(
  `aggregate of 20 peers: ${aggregate.aggregate_and_write_seconds.toFixed(3)} s ` +
    `(aggregate_updates ${aggregate.aggregate_updates.seconds.toFixed(3)} s + write_aggregate ` +
    `${aggregate.write_aggregate.seconds.toFixed(3)} s on ${aggregate.threads} threads), ${aggregate.aggregate_bytes} bytes, union density ` +
    `${aggregate.union_density.toFixed(4)}`,
);

const gpuRun = run({ mode: 'gpu', data: 'gaussian' });
let gpu = null;
let gpuNote;
if (gpuRun.gpu !== null) {
  gpu = {
    device: gpuRun.device,
    measured: new Date().toISOString(),
    source: 'this machine',
    quick,
    ...gpuRun,
  };
  console.log(
    `gpu ${gpuRun.device}: pipeline ${gpuRun.pipeline.input_gbps.toFixed(1)} GB/s of fp32 input, ` +
      `${(gpuRun.pipeline.bandwidth_fraction * 100).toFixed(1)}% of ${gpuRun.peak_bandwidth_gbps.toFixed(0)} GB/s (modeled traffic)`,
  );
} else {
  gpuNote = `not measured here: ${gpuRun.reason}`;
  if (existsSync(out)) gpu = JSON.parse(readFileSync(out, 'utf8')).gpu ?? null;
  if (gpu) {
    gpuNote += `; keeping the GPU figures measured on ${gpu.device} (${gpu.measured})`;
  }
  console.log(`no GPU run (${gpuRun.reason})${gpu ? `: keeping the figures measured on ${gpu.device}` : ''}`);
}
const loadEnd = loadavg();

const g = encodes.gaussian;
const goals = {
  bits_per_parameter_max: 0.16,
  ratio_vs_fp32_min: 200,
  encode_gbps_per_core_min: 1,
  gpu_bandwidth_fraction_min: 0.7,
};
const summary = {
  bits_per_parameter: {
    rice: g.sizes.rice.bits_per_parameter,
    packed12: g.sizes.packed12.bits_per_parameter,
    rice_heavy: encodes.heavy.sizes.rice.bits_per_parameter,
    templar_as_stored: 0.3125,
  },
  ratio_vs_fp32: {
    rice: g.sizes.rice.ratio_vs_fp32,
    packed12: g.sizes.packed12.ratio_vs_fp32,
    rice_heavy: encodes.heavy.sizes.rice.ratio_vs_fp32,
    templar_as_stored: 32 / 0.3125,
  },
  templar_as_stored_basis:
    'Templar ships 12-bit packed indices and one uint8 per 2-bit code: 20 bits per kept entry at density 1/64 = 0.3125 bits/param',
  encode_gbps_per_core: {
    encode_with_feedback: g.encode.encode_with_feedback.gbps,
    full_path_rice: g.encode.full_path_rice.gbps,
    full_path_packed12: g.encode.full_path_packed12.gbps,
  },
  encode_gbps_all_threads: {
    gbps: g.encode.encode_with_feedback_all_threads.gbps,
    threads: g.encode.encode_with_feedback_all_threads.threads,
  },
  encode_stage_gbps: Object.fromEntries(
    ['fold_topk', 'quantize', 'fold_residual', 'index_coding_rice', 'index_coding_packed12'].map((k) => [
      k,
      g.encode.stages[k].gbps,
    ]),
  ),
  encode_stage_share: Object.fromEntries(
    ['fold_topk', 'quantize', 'fold_residual'].map((k) => [k, g.encode.stages[k].share_of_encoder]),
  ),
  decode_gbps_per_core: { rice: g.decode.rice.gbps, packed12: g.decode.packed12.gbps },
  aggregation_20_peers: {
    aggregate_and_write_seconds: aggregate.aggregate_and_write_seconds,
    threads: aggregate.threads,
    aggregate_bytes: aggregate.aggregate_bytes,
    union_density: aggregate.union_density,
  },
  gpu_pipeline: gpu
    ? {
        device: gpu.device,
        input_gbps: gpu.pipeline.input_gbps,
        bandwidth_fraction: gpu.pipeline.bandwidth_fraction,
        input_bandwidth_fraction: gpu.pipeline.input_bandwidth_fraction,
      }
    : null,
};
const met = {
  bits_per_parameter: g.sizes.rice.bits_per_parameter <= goals.bits_per_parameter_max,
  ratio_vs_fp32: g.sizes.rice.ratio_vs_fp32 >= goals.ratio_vs_fp32_min,
  encode_gbps_per_core: g.encode.encode_with_feedback.gbps >= goals.encode_gbps_per_core_min,
  gpu_bandwidth_fraction: gpu ? gpu.pipeline.bandwidth_fraction >= goals.gpu_bandwidth_fraction_min : null,
};

// The SparseLoCo loop on Brown (the loop test's setup): held-out loss curves of 4 replicas sharing one
// compressed outer update vs one AdamW run on the same tokens. A few minutes on 2 cores, so --quick keeps
// the recorded figures.
async function sparseLoCoLoop() {
  const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')).sparseloco ?? null) : null;
  if (quick) return previous;
  const harness = resolve(root, 'test/dist/harness/index.js');
  if (!existsSync(harness)) {
    console.error('bench codec: test/dist is missing (run `make build`); keeping the recorded loop figures');
    return previous;
  }
  const { LOOP_SETUP, brownDataset, runBaseline, runSparseLoCo } = await import(harness);
  const { openDataset } = await import('@cohort/native');
  const setup = { ...LOOP_SETUP, curveEvery: 5, threads: cpus().length };
  const dataset = await openDataset((await brownDataset()).manifestPath, {});
  try {
    const baseline = await runBaseline(dataset, setup);
    const sparse = await runSparseLoCo(dataset, setup);
    const round = (curve) => curve.map(([step, loss]) => [step, Number(loss.toFixed(4))]);
    const loop = {
      date: new Date().toISOString(),
      setup: { ...setup, heldOut: `${setup.heldOut.length} held-out samples (every 15th)`, preset: 'devnet' },
      baseline: { final_loss: baseline.finalLoss, seconds: baseline.seconds, curve: round(baseline.curve) },
      sparseloco: {
        final_loss: sparse.finalLoss,
        seconds: sparse.seconds,
        curve: round(sparse.curve),
        in_sync: sparse.inSync,
        update_bytes: sparse.updateBytes,
        update_bits_per_parameter: (sparse.updateBytes * 8) / sparse.parameters,
        aggregate_bytes: sparse.aggregateBytes,
      },
      initial_loss: baseline.initialLoss,
      gap: sparse.finalLoss / baseline.finalLoss - 1,
    };
    console.log(
      `SparseLoCo loop: baseline ${baseline.finalLoss.toFixed(3)}, SparseLoCo ${sparse.finalLoss.toFixed(3)} ` +
        `(${(loop.gap * 100).toFixed(2)}% above)`,
    );
    return loop;
  } finally {
    dataset.close();
  }
}
const sparseloco = await sparseLoCoLoop();

const result = {
  bench: 'codec',
  date: new Date().toISOString(),
  quick,
  machine: {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadavg_start: loadStart.map((x) => Number(x.toFixed(2))),
    loadavg_end: loadEnd.map((x) => Number(x.toFixed(2))),
  },
  method: {
    model: quick
      ? `quick: ${g.subset} of the 150M shape (${g.parameters} parameters, ${g.tensors} tensors), ${reps} repetitions; sizes and rates differ slightly from the full run`
      : `every tensor of parameter_specs(preset_config("150M")): ${g.parameters} parameters, ${g.tensors} tensors, ${reps} repetitions`,
    codec: 'tile 64, top-k 64 (density 1/64; dense 1-D norm chunks keep every entry), 2-bit values',
    data: `synthetic pseudo-gradients with fixed seeds, not a trained model: "gaussian" = iid N(0, ${g.sigma}^2); "heavy" = Student-t (nu = 3) times a per-row log-normal scale exp(0.75 z)`,
    timing:
      'single thread (GB/s per core), median of the repetitions; GB/s = 4 bytes x parameters / seconds (fp32 input for encode, fp32-equivalent parameters for decode)',
    stages:
      'the encoder is timed once through encode_with_feedback and once through a staged replica of it (verified to produce the same bytes) that times each of its passes per tensor: fold_topk (beta*e + delta in registers, finiteness check and per-chunk top-k, nothing written), quantize, fold_residual (e <- beta*e + delta, then minus the sent values, one row block at a time); index coding is timed on its own (rice, packed12); full path = encode_with_feedback + write_update',
    aggregation:
      '20 independent peers (worst case for union density), decoded once; timed aggregate_updates + write_aggregate (and decode_aggregate)',
    gpu: 'ef_update -> topk_chunks -> quantize_codes over device buffers per tensor, host wall clock; bandwidth fraction = modeled DRAM traffic / (memory clock x bus width x 2)',
  },
  summary,
  goals,
  met,
  encode: encodes,
  aggregate,
  sparseloco,
  gpu,
  ...(gpuNote ? { gpu_note: gpuNote } : {}),
};
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${out}`);
