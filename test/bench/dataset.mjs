// Reading the run's dataset from the store (ADR 0015): Brown prepared at two sample lengths, published to
// a real checkpoint-store (filesystem backend) on loopback, then opened as a worker's cache and read the
// way a miner reads it: each window's pages (the sampler's draw for one hotkey) made local cold, then
// again warm, and one whole shard in bulk. Every fetched sample is verified against its id on the way.
// Writes test/bench/results/dataset.json.
//   pnpm bench dataset [--quick]     (--quick: fewer windows; under a minute)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median } from './stats.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const quick = process.argv.includes('--quick');
const out = resolve(root, 'test/bench/results/dataset.json');
const imp = (p) => import(resolve(root, p));
const { spawnService } = await imp('test/dist/harness/index.js');
const { createBrownCorpus, createObjectStoreSource, openDatasetCache, prepareDataset, publishDataset } =
  await imp('services/data/dist/index.js');
const { StoreClient } = await imp('services/kit/dist/index.js');
const { encodeSs58, hotkeyFromSeed, pagesFor } = await imp('services/core/dist/index.js');

const MB = 1024 * 1024;
const WINDOWS = quick ? 4 : 16;
const PAGES = 64; // inner_steps × batch of one window (8 × 8)
const SEQ_LENS = [128, 2048];
const hotkey = encodeSs58(hotkeyFromSeed(new Uint8Array(32).fill(7)).publicKey);

const work = mkdtempSync(join(tmpdir(), 'cohort-bench-dataset-'));
const loadStart = loadavg();
const store = spawnService('checkpoint-store', {
  env: { COHORT_RUN_ID: 'bench', COHORT_FS_ROOT: join(work, 'bucket') },
});
const results = [];
try {
  const address = `127.0.0.1:${(await store.ports(60_000)).grpc}`;
  await store.waitForEvent('service_serving', 60_000);
  const client = new StoreClient(address);
  for (const seqLen of SEQ_LENS) {
    const dir = join(work, `brown-${seqLen}`);
    await prepareDataset({ corpus: createBrownCorpus(), outDir: dir, seqLen });
    const prefix = `datasets/brown-${seqLen}/`;
    let t = performance.now();
    const published = await publishDataset(client, dir, prefix);
    const publishSeconds = (performance.now() - t) / 1000;
    const publishedBytes = published.files.reduce((n, f) => n + f.bytes, 0);

    t = performance.now();
    const source = createObjectStoreSource(client, { prefix, where: `store ${address}` });
    const cache = await openDatasetCache({ source, dir: join(work, `cache-${seqLen}`) });
    const openSeconds = (performance.now() - t) / 1000;
    const train = cache.manifest.shards.filter((s) => s.split === 'train');
    const pool = train.reduce((n, s) => n + s.samples, 0);
    const sampleBytes = seqLen * 4;

    const cold = [];
    const warm = [];
    let coldSamples = 0;
    let ranges = 0;
    for (let w = 0; w < WINDOWS; w++) {
      const pages = Uint32Array.from(
        pagesFor({ runId: 'bench', hotkey, window: w, poolSize: pool, count: Math.min(PAGES, pool) }),
      );
      t = performance.now();
      const c = await cache.ensure('train', pages);
      cold.push((performance.now() - t) / 1000);
      coldSamples += c.fetched;
      ranges += c.ranges;
      t = performance.now();
      const h = await cache.ensure('train', pages);
      warm.push((performance.now() - t) / 1000);
      if (h.fetched !== 0 || h.hits !== pages.length) throw new Error('warm ensure fetched');
    }
    // Bulk: the rest of the first train shard in large ranges.
    const first = train[0];
    const all = Uint32Array.from({ length: first.samples }, (_, i) => i);
    t = performance.now();
    const bulk = await cache.ensure('train', all);
    const bulkSeconds = (performance.now() - t) / 1000;
    await cache.close();

    const row = {
      seq_len: seqLen,
      sample_bytes: sampleBytes,
      train_samples: pool,
      published_bytes: publishedBytes,
      publish_seconds: publishSeconds,
      publish_mb_per_s: publishedBytes / MB / publishSeconds,
      open_seconds: openSeconds,
      window_pages: Math.min(PAGES, pool),
      windows: WINDOWS,
      cold_window_ms_median: median(cold) * 1000,
      cold_window_ms_max: Math.max(...cold) * 1000,
      cold_ranges_per_window: ranges / WINDOWS,
      cold_samples_per_s: coldSamples / cold.reduce((a, b) => a + b, 0),
      warm_window_ms_median: median(warm) * 1000,
      bulk_samples: bulk.fetched,
      bulk_ranges: bulk.ranges,
      bulk_mb_per_s: bulk.bytes / MB / bulkSeconds,
    };
    console.log(
      `seq_len ${seqLen} (${sampleBytes} B/sample, ${pool} train samples): publish ${row.publish_mb_per_s.toFixed(1)} MB/s; open ${(openSeconds * 1000).toFixed(0)} ms; ` +
        `a window's ${row.window_pages} pages cold ${row.cold_window_ms_median.toFixed(1)} ms (median, ${row.cold_ranges_per_window.toFixed(1)} GETs), warm ${row.warm_window_ms_median.toFixed(2)} ms; ` +
        `bulk ${row.bulk_mb_per_s.toFixed(1)} MB/s in ${bulk.ranges} GETs`,
    );
    results.push(row);
  }
  client.close();
} finally {
  await store.stop('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
const result = {
  bench: 'dataset',
  date: new Date().toISOString(),
  quick,
  machine: {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadavg_start: loadStart.map((x) => Number(x.toFixed(2))),
    loadavg_end: loadavg().map((x) => Number(x.toFixed(2))),
  },
  method:
    'Brown prepared at each seq_len, published with publishDataset through a real checkpoint-store process (filesystem backend, loopback gRPC); ' +
    'a worker cache opened over createObjectStoreSource (manifest + every .ids file fetched and hash-checked = open); per window, the ' +
    `sampler's ${PAGES} pages of one hotkey made local cold (ranged GETs, each sample checked against its id, written, fdatasync, presence saved) ` +
    'then again warm (all hits); bulk = every sample of the first train shard in ranges of up to 8 MiB. Medians over the windows.',
  results,
};
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${out}`);
