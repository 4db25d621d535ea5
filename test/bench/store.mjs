// Store throughput: put and get of 1 MB and 256 MB objects on both backends (the filesystem backend on
// local disk, the S3 backend against a real RADOS Gateway on loopback), and what hashing while streaming
// costs (BLAKE2b-256 alone over the same bytes). Writes test/bench/results/store.json.
//   pnpm bench store [--quick]     (--quick: 1 MB and 32 MB, fewer repetitions; under a minute)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median } from './stats.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const quick = process.argv.includes('--quick');
const out = resolve(root, 'test/bench/results/store.json');
const { startS3Server } = await import(resolve(root, 'test/dist/harness/index.js'));
const { createFsBackend, createS3Backend, createStreamHasher } = await import(
  resolve(root, 'services/checkpoint-store/dist/backends/index.js')
);

const MB = 1024 * 1024;
const sizes = quick ? [1 * MB, 32 * MB] : [1 * MB, 256 * MB];
const CHUNK = MB;

/** Fixed-seed bytes (xorshift), generated once per size. */
function bytes(n) {
  const out = new Uint8Array(n);
  const view = new Uint32Array(out.buffer, 0, n >>> 2);
  let x = 0x9e3779b9;
  for (let i = 0; i < view.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    view[i] = x >>> 0;
  }
  return out;
}

async function* chunks(data) {
  for (let at = 0; at < data.length; at += CHUNK) {
    await Promise.resolve();
    yield data.subarray(at, at + CHUNK);
  }
}

const reps = (size) => (size <= MB ? (quick ? 10 : 30) : quick ? 2 : 3);

async function measure(backend, label) {
  const rows = [];
  for (const size of sizes) {
    const data = bytes(size);
    const put = [];
    const get = [];
    for (let r = 0; r < reps(size); r++) {
      const key = `bench/${label.replace(/[^a-z0-9]+/g, '-')}/${size}/${r}`;
      let t = performance.now();
      await backend.put(key, chunks(data), { maxBytes: size });
      put.push((performance.now() - t) / 1000);
      t = performance.now();
      const { body } = await backend.get(key);
      let n = 0;
      for await (const c of body) n += c.length;
      get.push((performance.now() - t) / 1000);
      if (n !== size) throw new Error(`${label}: read ${n} of ${size} bytes`);
      await backend.delete(key);
    }
    const hash = [];
    for (let r = 0; r < Math.min(3, reps(size)); r++) {
      const t = performance.now();
      const h = await createStreamHasher();
      for (let at = 0; at < size; at += CHUNK) h.update(data.subarray(at, at + CHUNK));
      h.digest();
      hash.push((performance.now() - t) / 1000);
    }
    const row = {
      backend: label,
      size_bytes: size,
      repetitions: reps(size),
      put_mb_per_s: size / MB / median(put),
      get_mb_per_s: size / MB / median(get),
      hash_mb_per_s: size / MB / median(hash),
      hash_share_of_put: median(hash) / median(put),
    };
    console.log(
      `${label} ${size / MB} MB: put ${row.put_mb_per_s.toFixed(1)} MB/s, get ${row.get_mb_per_s.toFixed(1)} MB/s, ` +
        `hashing alone ${row.hash_mb_per_s.toFixed(1)} MB/s (${(row.hash_share_of_put * 100).toFixed(0)}% of put time)`,
    );
    rows.push(row);
  }
  return rows;
}

const loadStart = loadavg();
const dir = mkdtempSync(join(tmpdir(), 'cohort-bench-store-'));
const results = [];
try {
  const fs = await createFsBackend({ root: dir });
  results.push(...(await measure(fs, 'filesystem')));
  await fs.close();
  const server = await startS3Server();
  try {
    const s3 = await createS3Backend({
      endpoint: server.endpoint,
      bucket: 'bench',
      region: server.region,
      pathStyle: true,
      accessKeyId: server.accessKey,
      secretAccessKey: server.secretKey,
      requestTimeoutMs: 60_000,
      createBucketIfMissing: true,
    });
    results.push(...(await measure(s3, 's3 (RADOS Gateway, loopback)')));
    await s3.close();
  } finally {
    await server.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const result = {
  bench: 'store',
  date: new Date().toISOString(),
  quick,
  machine: {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadavg_start: loadStart.map((x) => Number(x.toFixed(2))),
    loadavg_end: loadavg().map((x) => Number(x.toFixed(2))),
  },
  method:
    'backend put (1 MiB chunks from memory, hashed while streaming) and get (streamed to the end) of fixed-seed bytes; ' +
    'median of the repetitions; hashing alone = the BLAKE2b-256 the backends stream with (WebAssembly, hash-wasm) over the same chunks, and its share of the put time. ' +
    'The S3 backend talks to a real Ceph RADOS Gateway (memstore OSD) on loopback started by scripts/s3-up.sh.',
  results,
};
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${out}`);
