/**
 * scripts/gpu-results.mjs files a GPU session's gpu-check outputs into the bench results: engine runs from
 * several device-tool calls into engine.json's gpu section, the codec pipeline into codec.json's gpu section,
 * summary and goal; malformed or mixed input stops it before anything is written. Runs on copies of the real
 * result files in a temp dir.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from './repo-root.js';

const scratch = mkdtempSync(join(tmpdir(), 'cohort-gpu-results-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function resultsCopy(name: string): string {
  const dir = join(scratch, name, 'results');
  mkdirSync(dir, { recursive: true });
  for (const f of ['engine.json', 'codec.json'])
    copyFileSync(join(repoRoot, 'test/bench/results', f), join(dir, f));
  return dir;
}

function callDir(name: string, files: Record<string, string>): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

const run = (preset: string, batch: number, fused: boolean, mfu: number): string =>
  JSON.stringify({
    engine: '0.1.0',
    preset,
    device: 'cuda',
    dtype: 'bf16',
    fused_ops: fused,
    batch,
    seq: 2048,
    tokens_per_second: 1000 * batch,
    achieved_tflops: mfu * 989.5,
    mfu,
  });

interface EngineResults {
  cpu: unknown[];
  gpu: { device: string; source: string; runs: { batch: number; fused_ops: boolean }[] };
}
interface CodecResults {
  gpu: { pipeline: { bandwidth_fraction: number } };
  summary: { gpu_pipeline: { bandwidth_fraction: number } };
  met: { gpu_bandwidth_fraction: boolean };
  gpu_note?: string;
}

const readResults = <T>(dir: string, file: string): T =>
  JSON.parse(readFileSync(join(dir, file), 'utf8')) as T;

function gpuResults(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [join(repoRoot, 'scripts/gpu-results.mjs'), ...args], {
    encoding: 'utf8',
  });
}

test('engine runs of two calls and the codec line are filed; goals recomputed', () => {
  const results = resultsCopy('ok');
  const first = callDir('ok/call1', {
    'device.txt': 'NVIDIA H100 80GB HBM3\n',
    'engine-gpu.jsonl': `${run('1B', 12, false, 0.37)}\n${run('1B', 12, true, 0.41)}\n`,
  });
  const codecLine = {
    mode: 'gpu',
    gpu: true,
    device: 'NVIDIA H100 80GB HBM3',
    peak_bandwidth_gbps: 3350,
    pipeline: { input_gbps: 900, bandwidth_fraction: 0.72, input_bandwidth_fraction: 0.27 },
  };
  const second = callDir('ok/call2', {
    'device.txt': 'NVIDIA H100 80GB HBM3',
    'engine-gpu.jsonl': `${run('1B', 16, true, 0.42)}\n`,
    'codec-gpu.json': JSON.stringify(codecLine),
  });
  const res = gpuResults(first, second, '--results', results, '--source', 'device tool (test)');
  assert.equal(res.status, 0, res.stderr);
  const engine = readResults<EngineResults>(results, 'engine.json');
  assert.equal(engine.gpu.device, 'NVIDIA H100 80GB HBM3');
  assert.equal(engine.gpu.source, 'device tool (test)');
  assert.deepEqual(
    engine.gpu.runs.map((r) => [r.batch, r.fused_ops]),
    [
      [12, false],
      [12, true],
      [16, true],
    ],
  );
  assert.ok(engine.cpu.length > 0, 'the CPU section is kept');
  const codec = readResults<CodecResults>(results, 'codec.json');
  assert.equal(codec.gpu.pipeline.bandwidth_fraction, 0.72);
  assert.equal(codec.summary.gpu_pipeline.bandwidth_fraction, 0.72);
  assert.equal(codec.met.gpu_bandwidth_fraction, true);
  assert.equal(codec.gpu_note, undefined);
});

test('a malformed line, a CPU run or two GPUs stop it, and nothing is written', () => {
  const cases: Record<string, string>[][] = [
    [{ 'device.txt': 'H100', 'engine-gpu.jsonl': `${run('1B', 12, true, 0.4)}\nnot json\n` }],
    [
      {
        'device.txt': 'H100',
        'engine-gpu.jsonl': JSON.stringify({ ...JSON.parse(run('1B', 8, false, 0.3)), device: 'cpu' }),
      },
    ],
    [{ 'engine-gpu.jsonl': `${run('1B', 12, true, 0.4)}\n` }],
    [
      { 'device.txt': 'H100', 'engine-gpu.jsonl': `${run('1B', 12, true, 0.4)}\n` },
      { 'device.txt': 'H200', 'engine-gpu.jsonl': `${run('1B', 12, true, 0.4)}\n` },
    ],
    [
      {
        'device.txt': 'H100',
        'codec-gpu.json': JSON.stringify({ mode: 'gpu', gpu: null, reason: 'no device' }),
      },
    ],
    [{}],
  ];
  cases.forEach((calls, i) => {
    const results = resultsCopy(`bad${i}`);
    const before =
      readFileSync(join(results, 'engine.json'), 'utf8') + readFileSync(join(results, 'codec.json'), 'utf8');
    const dirs = calls.map((files, j) => callDir(`bad${i}/call${j}`, files));
    const res = gpuResults(...dirs, '--results', results);
    assert.equal(res.status, 2, `case ${i}: ${res.stdout}`);
    assert.match(res.stderr, /^gpu-results: /, `case ${i}`);
    const afterText =
      readFileSync(join(results, 'engine.json'), 'utf8') + readFileSync(join(results, 'codec.json'), 'utf8');
    assert.equal(afterText, before, `case ${i}: nothing written`);
  });
});
