// Objects larger than one JavaScript buffer (Node caps a Buffer or Uint8Array at 4 GiB): a 1B model's fp32
// error-feedback state and checkpoint weights are 4.7 GB. Measures, at the 1B preset's parameter count:
// the gpu-worker's error-feedback state saved and loaded (EfStore: chunked writes, the hash read back from
// disk), and a checkpoint-sized file through a real checkpoint-store process (StoreClient.putFile with its
// BLAKE2b-256, then getToFile), each checked byte for byte. Writes test/bench/results/large-objects.json.
//   pnpm bench large-objects [--quick]   (--quick: the 150M preset's size, under a minute)
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const quick = process.argv.includes('--quick');
const out = resolve(root, 'test/bench/results/large-objects.json');
const { EfStore } = await import(resolve(root, 'services/gpu-worker/dist/ef-store.js'));
const { StoreClient } = await import(resolve(root, 'services/kit/dist/index.js'));
const { blake2b256File } = await import(resolve(root, 'native/dist/index.js'));
const { spawnService } = await import(resolve(root, 'test/dist/harness/index.js'));

const PRESETS = { '150M': 205_677_568, '1B': 1_176_832_000 };
const preset = quick ? '150M' : '1B';
const count = PRESETS[preset];
const GB = 1e9;
const hex = (b) => Buffer.from(b).toString('hex');

/** Whether two Float32Arrays hold the same bits, compared in views under the 4 GiB cap. */
function sameBits(a, b) {
  if (a.length !== b.length) return false;
  const step = 1 << 28; // 1 GiB of floats at a time
  for (let at = 0; at < a.length; at += step) {
    const n = Math.min(step, a.length - at);
    const va = Buffer.from(a.buffer, a.byteOffset + at * 4, n * 4);
    const vb = Buffer.from(b.buffer, b.byteOffset + at * 4, n * 4);
    if (!va.equals(vb)) return false;
  }
  return true;
}

async function timed(fn) {
  const start = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - start) / 1000 };
}

const work = mkdtempSync(join(tmpdir(), 'cohort-large-'));
let store;
let proc;
try {
  console.log(`large objects: ${preset} preset, ${count} fp32 values (${((count * 4) / GB).toFixed(2)} GB)`);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i += 1) values[i] = ((i * 2654435761) % 1000003) * 1e-9 - 5e-4;

  const efDir = join(work, 'ef');
  const ef = new EfStore(efDir);
  const saved = await timed(() => ef.save({ window: 7n, values }));
  const fileBytes = statSync(ef.path).size;
  const loaded = await timed(() => ef.load());
  const efIntact = loaded.value?.window === 7n && sameBits(loaded.value.values, values);
  console.log(
    `  EfStore.save ${saved.seconds.toFixed(1)} s, load ${loaded.seconds.toFixed(1)} s, ${fileBytes} bytes, intact: ${efIntact}`,
  );
  loaded.value = undefined;

  // The state file stands in for a checkpoint's model.safetensors: the same size, streamed the same way.
  const fsRoot = join(work, 'store');
  proc = spawnService('checkpoint-store', { env: { COHORT_FS_ROOT: fsRoot } });
  await proc.waitForEvent('service_serving', 60_000);
  store = new StoreClient(`127.0.0.1:${(await proc.ports()).grpc}`);
  const hashed = await timed(() => blake2b256File(ef.path));
  const key = 'cohort/v1/large-objects/checkpoints/7/model.safetensors';
  const put = await timed(() => store.putFile(key, ef.path, { blake2b256: hashed.value }));
  const copy = join(work, 'downloaded.bin');
  const got = await timed(() => store.getToFile(key, copy));
  const copyHash = await blake2b256File(copy);
  const storeIntact =
    hex(put.value.info.blake2b256) === hex(hashed.value) &&
    got.value.sizeBytes === BigInt(fileBytes) &&
    hex(copyHash) === hex(hashed.value);
  console.log(
    `  blake2b256File ${hashed.seconds.toFixed(1)} s, putFile ${put.seconds.toFixed(1)} s, getToFile ${got.seconds.toFixed(1)} s, intact: ${storeIntact}`,
  );
  if (!efIntact || !storeIntact) throw new Error('a large object did not come back intact');

  const rate = (seconds) => Number((fileBytes / GB / seconds).toFixed(2));
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        bench: 'large-objects',
        date: new Date().toISOString(),
        quick,
        machine: {
          cpus: cpus().length,
          model: cpus()[0]?.model,
          loadavg: loadavg(),
          freeMemoryBytes: freemem(),
        },
        preset,
        values: count,
        fileBytes,
        overFourGiB: fileBytes > 2 ** 32,
        errorFeedback: {
          saveSeconds: Number(saved.seconds.toFixed(2)),
          loadSeconds: Number(loaded.seconds.toFixed(2)),
          saveGBps: rate(saved.seconds),
          loadGBps: rate(loaded.seconds),
          intact: efIntact,
        },
        checkpointStore: {
          hashSeconds: Number(hashed.seconds.toFixed(2)),
          putFileSeconds: Number(put.seconds.toFixed(2)),
          getToFileSeconds: Number(got.seconds.toFixed(2)),
          putGBps: rate(put.seconds),
          getGBps: rate(got.seconds),
          intact: storeIntact,
        },
        notes: [
          'Node caps one Buffer or Uint8Array at 4 GiB; before streaming, a 1B model (4.7 GB of fp32) could neither persist its error feedback nor publish or load a checkpoint.',
          'The checkpoint-store runs its filesystem backend on this machine; putFile and getToFile go over loopback gRPC in 1 MiB messages.',
        ],
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote ${out}`);
} finally {
  store?.close();
  if (proc && proc.child.exitCode === null) await proc.stop('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
