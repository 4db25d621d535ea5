// BLAKE2b-256 throughput of the hashes the services use on large objects: @cohort/native's blake2b256Async
// (C++ on a libuv pool thread) against @cohort/core's TS blake2b256 (on the event loop), over a buffer the
// size of a devnet error-feedback state and a larger one, and how many 1 ms timer ticks the event loop
// delivered meanwhile (the TS hash delivers none). Writes test/bench/results/hash.json.
//   pnpm bench hash [--quick]     (--quick: one repeat, smaller buffer; a few seconds)
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setInterval, clearInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { median } from './stats.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const quick = process.argv.includes('--quick');
const out = resolve(root, 'test/bench/results/hash.json');
const { blake2b256Async } = await import(resolve(root, 'native/dist/index.js'));
const { blake2b256 } = await import(resolve(root, 'services/core/dist/index.js'));

const MB = 1024 * 1024;
const SIZES = quick ? [29 * MB] : [29 * MB, 256 * MB]; // 29 MB: the devnet preset's fp32 error feedback
const REPEATS = quick ? 1 : 3;

async function timed(hash, data) {
  let ticks = 0;
  const timer = setInterval(() => (ticks += 1), 1);
  const start = performance.now();
  const digest = await hash(data);
  const seconds = (performance.now() - start) / 1000;
  clearInterval(timer);
  return { seconds, ticks, digest: Buffer.from(digest).toString('hex') };
}

const runs = [];
for (const bytes of SIZES) {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 1) data[i] = (i * 131 + 7) & 0xff;
  await blake2b256Async(data.subarray(0, MB)); // warm the pool thread
  const row = { bytes };
  for (const [name, hash] of [
    ['native_async', blake2b256Async],
    ['ts_sync', async (d) => blake2b256(d)],
  ]) {
    const samples = [];
    for (let r = 0; r < REPEATS; r += 1) samples.push(await timed(hash, data));
    const seconds = median(samples.map((s) => s.seconds));
    row[name] = {
      seconds,
      gb_per_s: bytes / 1e9 / seconds,
      timer_ticks_while_hashing: median(samples.map((s) => s.ticks)),
      digest: samples[0].digest,
    };
  }
  if (row.native_async.digest !== row.ts_sync.digest) throw new Error(`digests differ at ${bytes} bytes`);
  row.speedup = row.ts_sync.seconds / row.native_async.seconds;
  console.log(
    `${(bytes / MB).toFixed(0)} MiB: native ${row.native_async.gb_per_s.toFixed(2)} GB/s ` +
      `(${row.native_async.timer_ticks_while_hashing} ticks), TS ${row.ts_sync.gb_per_s.toFixed(2)} GB/s ` +
      `(${row.ts_sync.timer_ticks_while_hashing} ticks), ${row.speedup.toFixed(1)}×`,
  );
  runs.push(row);
}

const result = {
  bench: 'hash',
  date: new Date().toISOString(),
  quick,
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadavg: loadavg() },
  method: 'median of repeats; a 1 ms setInterval counts the event loop turns delivered while each hash runs',
  runs,
};
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${out}`);
