#!/usr/bin/env node
// Files what native/scripts/gpu-check.sh measured on a GPU machine into the bench results, so no one edits
// the JSON by hand:
//   node scripts/gpu-results.mjs <dir>... [--source "device tool (nvidia-h100-x1) ..."] [--results test/bench/results]
// Each <dir> holds gpu-check's outputs of one call: engine-gpu.jsonl (one engine bench run a line),
// codec-gpu.json (the codec kernel pipeline) and device.txt (the GPU's name); several dirs (a bench split
// over device-tool calls) must name one GPU. engine.json's `gpu` section is replaced by all their runs;
// codec.json's `gpu`, `summary.gpu_pipeline` and `met.gpu_bandwidth_fraction` by the codec line. A missing
// file leaves its section alone; a malformed one stops the script before anything is written.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');

function fail(message) {
  console.error(`gpu-results: ${message}`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = {
    dirs: [],
    source: 'native/scripts/gpu-check.sh',
    results: resolve(root, 'test/bench/results'),
  };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--source' || a === '--results') {
      const value = argv[i + 1];
      if (value === undefined) fail(`${a} needs a value`);
      args[a.slice(2)] = a === '--results' ? resolve(value) : value;
      i += 1;
    } else if (!a.startsWith('--')) args.dirs.push(resolve(a));
    else fail(`unexpected argument ${a}`);
  }
  if (args.dirs.length === 0)
    fail('usage: node scripts/gpu-results.mjs <dir>... [--source TEXT] [--results DIR]');
  return args;
}

function readJson(path, what) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return fail(`${what} ${path} is not JSON: ${error.message}`);
  }
}

const ENGINE_FIELDS = [
  'preset',
  'device',
  'dtype',
  'batch',
  'seq',
  'tokens_per_second',
  'achieved_tflops',
  'mfu',
];

/** The engine bench lines, each checked for the fields engine.json's readers use. */
function engineRuns(path) {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  if (lines.length === 0) fail(`${path} has no runs`);
  return lines.map((line, i) => {
    let run;
    try {
      run = JSON.parse(line);
    } catch (error) {
      return fail(`${path} line ${i + 1} is not JSON: ${error.message}`);
    }
    const missing = ENGINE_FIELDS.filter((k) => !(k in run));
    if (missing.length > 0) fail(`${path} line ${i + 1} lacks ${missing.join(', ')}`);
    if (run.device !== 'cuda') fail(`${path} line ${i + 1} ran on ${run.device}, not cuda`);
    return run;
  });
}

const args = parseArgs(process.argv.slice(2));
const measured = new Date().toISOString();
const devices = new Set();
for (const dir of args.dirs) {
  const file = resolve(dir, 'device.txt');
  if (existsSync(file)) devices.add(readFileSync(file, 'utf8').trim());
}
if (devices.size > 1) fail(`the directories name different GPUs: ${[...devices].join(', ')}`);
const [device] = devices;
const updates = [];

const enginePaths = args.dirs.map((dir) => resolve(dir, 'engine-gpu.jsonl')).filter((p) => existsSync(p));
if (enginePaths.length > 0) {
  if (device === undefined || device === '') fail('no device.txt: which GPU ran the engine bench?');
  const runs = enginePaths.flatMap(engineRuns);
  const out = resolve(args.results, 'engine.json');
  const engine = readJson(out, 'engine results');
  engine.gpu = { device, measured, source: args.source, runs };
  updates.push([out, engine, `${runs.length} engine runs`]);
}

const codecPath = args.dirs.map((dir) => resolve(dir, 'codec-gpu.json')).findLast((p) => existsSync(p));
if (codecPath !== undefined) {
  const run = readJson(codecPath, 'codec GPU line');
  if (run.gpu === null || run.pipeline === undefined)
    fail(`${codecPath} holds no GPU measurement (${run.reason ?? '?'})`);
  const out = resolve(args.results, 'codec.json');
  const codec = readJson(out, 'codec results');
  codec.gpu = { device: run.device, measured, source: args.source, quick: false, ...run };
  delete codec.gpu_note;
  codec.summary.gpu_pipeline = {
    device: run.device,
    input_gbps: run.pipeline.input_gbps,
    bandwidth_fraction: run.pipeline.bandwidth_fraction,
    input_bandwidth_fraction: run.pipeline.input_bandwidth_fraction,
  };
  codec.met.gpu_bandwidth_fraction =
    run.pipeline.bandwidth_fraction >= codec.goals.gpu_bandwidth_fraction_min;
  updates.push([
    out,
    codec,
    `codec pipeline ${(run.pipeline.bandwidth_fraction * 100).toFixed(1)}% of bandwidth`,
  ]);
}

if (updates.length === 0) fail(`${args.dirs.join(', ')}: neither engine-gpu.jsonl nor codec-gpu.json`);
for (const [path, value, what] of updates) {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
  console.log(`wrote ${path}: ${what}`);
}
