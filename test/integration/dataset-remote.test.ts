/**
 * A gpu-worker that reads the run's dataset from the run's checkpoint-store (`datasetPrefix`) instead of
 * a local directory, all real processes: Brown published under a key prefix of a filesystem-backed
 * checkpoint-store, one worker on the local copy and one reading by range through the store. The same
 * window trains to the same losses and the same data receipt, bit for bit; the worker fetched the window's
 * samples (metrics) and then the next window's pages ahead, serves them from its cache on the next call and after a restart, and
 * refuses a manifest other than the pinned one at start.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { blake2b256, encodeSs58, hotkeyFromSeed, pagesFor } from '@cohort/core';
import { createServiceClient, createTransport, StoreClient } from '@cohort/kit';
import type { ServiceClient, Transport } from '@cohort/kit';
import { openDataset } from '@cohort/native';
import { GpuWorkerService } from '@cohort/proto/cohort/worker/v1/gpu_worker';
import { brownDataset, spawnService } from '../harness/index.js';
import type { ServiceProcess } from '../harness/index.js';

const RUN = 'dataset-remote';
const SEED_HEX = '22'.repeat(32);
const STEPS = 2;
const BATCH = 3;
const PREFIX = 'datasets/brown-gpt2-128/';
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface Worker {
  readonly proc: ServiceProcess;
  readonly client: ServiceClient<typeof GpuWorkerService>;
  readonly metrics: string;
  readonly transport: Transport;
}

async function startWorker(env: Record<string, string>): Promise<Worker> {
  const proc = spawnService('gpu-worker', {
    env: {
      COHORT_RUN_ID: RUN,
      COHORT_PRESET: 'devnet',
      COHORT_SEED: '0',
      COHORT_DEVICE: 'cpu',
      COHORT_THREADS: '1',
      COHORT_EF_STATE_DIR: mkdtempSync(join(tmpdir(), 'cohort-dr-ef-')),
      COHORT_MICRO_BATCH_SIZE: String(BATCH),
      COHORT_HOTKEY_SEED: SEED_HEX,
      ...env,
    },
  });
  const ports = await proc.ports(60_000);
  await proc.waitForEvent('service_serving', 60_000);
  const transport = createTransport(`127.0.0.1:${ports.grpc}`);
  return {
    proc,
    transport,
    client: createServiceClient(GpuWorkerService, transport),
    metrics: `http://127.0.0.1:${ports.metrics}/metrics`,
  };
}

async function train(w: Worker, ids: readonly number[]) {
  let result;
  for await (const e of w.client.trainWindow({
    runId: RUN,
    window: 0n,
    innerSteps: STEPS,
    sampleIds: ids.map(BigInt),
  })) {
    if (e.event.case === 'result') result = e.event.value;
  }
  assert.ok(result, 'TrainWindow ended with a result');
  return result;
}

/** The value of one sample of a Prometheus text exposition (0 when absent); `result` selects by label. */
async function metric(w: Worker, name: string, result?: string): Promise<number> {
  const text = await (await fetch(w.metrics)).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) &&
        (result === undefined || l.includes(`result="${result}"`)),
    );
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

describe('gpu-worker with the dataset in the run store', () => {
  let store: ServiceProcess;
  let storeAddress: string;
  let manifestPath: string;
  let manifestHash: string;
  let ids: number[];
  let poolSize: number;
  const hotkey = encodeSs58(hotkeyFromSeed(Buffer.from(SEED_HEX, 'hex')).publicKey);
  const cacheDir = mkdtempSync(join(tmpdir(), 'cohort-dr-cache-'));
  const running: Worker[] = [];

  before(async () => {
    ({ manifestPath } = await brownDataset());
    const dir = join(manifestPath, '..');
    store = spawnService('checkpoint-store', {
      env: { COHORT_RUN_ID: RUN, COHORT_FS_ROOT: mkdtempSync(join(tmpdir(), 'cohort-dr-store-')) },
    });
    storeAddress = `127.0.0.1:${(await store.ports(60_000)).grpc}`;
    await store.waitForEvent('service_serving', 60_000);
    // Publish: every shard file with its manifest hash, the manifest last.
    const client = new StoreClient(storeAddress);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      shards: { tokens: { file: string; blake2b256: string }; ids: { file: string; blake2b256: string } }[];
    };
    for (const shard of manifest.shards) {
      for (const f of [shard.ids, shard.tokens]) {
        const bytes = await readFile(join(dir, f.file));
        await client.put(PREFIX + f.file, bytes, { blake2b256: Buffer.from(f.blake2b256, 'hex') });
      }
    }
    const manifestBytes = await readFile(manifestPath);
    manifestHash = hex(blake2b256(manifestBytes));
    await client.put(`${PREFIX}manifest.json`, manifestBytes);
    client.close();
    const local = await openDataset(manifestPath);
    poolSize = local.sampleCount('train');
    ids = pagesFor({ runId: RUN, hotkey, window: 0, poolSize, count: STEPS * BATCH });
    local.close();
  });
  after(async () => {
    for (const w of running) {
      w.transport.close();
      if (w.proc.child.exitCode === null) await w.proc.stop('SIGKILL');
    }
    await store.stop('SIGTERM');
  });

  const remoteEnv = (): Record<string, string> => ({
    COHORT_STORE_ADDRESS: storeAddress,
    COHORT_DATASET_PREFIX: PREFIX,
    COHORT_DATASET_MANIFEST_HASH: manifestHash,
    COHORT_DATASET_CACHE_DIR: cacheDir,
  });

  test('the same window trains to the same losses and receipt as from the local copy', async () => {
    const local = await startWorker({ COHORT_DATASET_MANIFEST: manifestPath });
    running.push(local);
    const remote = await startWorker(remoteEnv());
    running.push(remote);
    const opened = await remote.proc.waitForEvent('dataset_cache_open', 5_000);
    assert.equal(opened.cachedSamples, 0);
    assert.equal(opened.manifestBlake2b256, manifestHash);
    assert.equal(await metric(remote, 'cohort_dataset_cached_samples'), 0);

    const a = await train(local, ids);
    const b = await train(remote, ids);
    assert.deepEqual(b.losses, a.losses);
    assert.equal(hex(b.dataReceipt), hex(a.dataReceipt));
    const distinct = new Set(ids).size;
    assert.equal((await metric(remote, 'cohort_dataset_samples_total', 'fetched')) >= distinct, true);
    assert.equal(await metric(remote, 'cohort_dataset_samples_total', 'hit'), 0);
    const fetched = await metric(remote, 'cohort_dataset_samples_total', 'fetched');
    assert.equal(await metric(local, 'cohort_dataset_samples_total', 'fetched'), 0, 'local: no cache');
    // Then it fetches window 1's pages ahead; the local worker has nothing to prefetch.
    const prefetched = await remote.proc.waitForEvent('pages_prefetched', 30_000);
    assert.equal(prefetched.window, '1');
    const next = pagesFor({ runId: RUN, hotkey, window: 1, poolSize, count: STEPS * BATCH });
    const union = new Set([...ids, ...next]).size;
    const ahead = await metric(remote, 'cohort_dataset_samples_total', 'prefetched');
    assert.equal(ahead, prefetched.fetched);
    assert.ok(ahead >= union - new Set(ids).size, `${ahead} prefetched`);
    const cached = await metric(remote, 'cohort_dataset_cached_samples');
    assert.ok(cached >= union && cached <= fetched + ahead, `${cached} cached`);
    assert.equal(local.proc.records.filter((r) => r.event === 'pages_prefetched').length, 0);

    // Again (the inner optimizer moved on, so the losses differ): every sample is a hit, nothing is fetched.
    const again = await train(remote, ids);
    assert.equal(hex(again.dataReceipt), hex(a.dataReceipt));
    assert.equal(await metric(remote, 'cohort_dataset_samples_total', 'hit'), ids.length);
    assert.equal(await metric(remote, 'cohort_dataset_samples_total', 'fetched'), fetched);
    // The cache holds the ids whole and only the fetched samples' tokens.
    const files = await readdir(cacheDir);
    assert.ok(files.includes('manifest.json') && files.some((f) => f.endsWith('.present')));
  });

  test('a restarted worker keeps its cache; a manifest other than the pinned one is refused at start', async () => {
    const first = running.pop();
    assert.ok(first);
    first.transport.close();
    assert.equal(await first.proc.stop('SIGTERM'), 0, first.proc.stderr());
    const restarted = await startWorker(remoteEnv());
    running.push(restarted);
    const opened = await restarted.proc.waitForEvent('dataset_cache_open', 5_000);
    assert.ok(Number(opened.cachedSamples) >= new Set(ids).size, JSON.stringify(opened));
    await train(restarted, ids);
    assert.equal(await metric(restarted, 'cohort_dataset_samples_total', 'fetched'), 0);

    const refused = spawnService('gpu-worker', {
      env: {
        COHORT_RUN_ID: RUN,
        COHORT_DEVICE: 'cpu',
        COHORT_EF_STATE_DIR: mkdtempSync(join(tmpdir(), 'cohort-dr-ef-')),
        ...remoteEnv(),
        COHORT_DATASET_CACHE_DIR: mkdtempSync(join(tmpdir(), 'cohort-dr-cache-')),
        COHORT_DATASET_MANIFEST_HASH: '00'.repeat(32),
      },
    });
    const code = await refused.exited;
    assert.notEqual(code, 0);
    assert.match(refused.stderr() + JSON.stringify(refused.records), /MANIFEST_HASH_MISMATCH/);
  });
});
