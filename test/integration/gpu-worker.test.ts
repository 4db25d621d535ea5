/**
 * The gpu-worker binary, run for real on the CPU with the devnet preset and Brown: a window's training
 * streams progress and a result with its data receipt, the encoded payload decodes and verifies for the
 * configured hotkey, an aggregate of it moves two same-seed workers to the same fingerprint, a cancelled
 * training leaves θ_w behind, and the error feedback survives SIGKILL (the payload after the restart is
 * bit-for-bit the one an in-process engine makes from a fresh optimizer and the persisted e).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  Code,
  CohortError,
  blake2b256,
  dataReceipt,
  encodeSs58,
  hotkeyFromSeed,
  pagesFor,
} from '@cohort/core';
import { createServiceClient, createTransport } from '@cohort/kit';
import type { ServiceClient, Transport } from '@cohort/kit';
import {
  aggregateUpdates,
  createEngine,
  decodeUpdate,
  objectDigest,
  openDataset,
  signObject,
} from '@cohort/native';
import type { Dataset, Engine } from '@cohort/native';
import { GpuWorkerService } from '@cohort/proto/cohort/worker/v1/gpu_worker';
import { brownDataset, spawnService } from '../harness/index.js';
import type { ServiceProcess } from '../harness/index.js';

const RUN = 'gpu-worker-test';
const SEED_HEX = '11'.repeat(32);
const MINER = hotkeyFromSeed(Uint8Array.from(Buffer.from(SEED_HEX, 'hex')));
const AGGREGATOR = hotkeyFromSeed(new Uint8Array(32).fill(0xee));
const STEPS = 3;
const BATCH = 2;
const TRAINER = { lr: 3e-3, warmupSteps: 2, totalSteps: 100, microBatchSize: 2 };

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

interface Worker {
  proc: ServiceProcess;
  transport: Transport;
  client: ServiceClient<typeof GpuWorkerService>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

async function startWorker(manifest: string, efStateDir: string): Promise<Worker> {
  const proc = spawnService('gpu-worker', {
    env: {
      COHORT_RUN_ID: RUN,
      COHORT_PRESET: 'devnet',
      COHORT_SEED: '0',
      COHORT_DEVICE: 'cpu',
      COHORT_THREADS: '1',
      COHORT_DATASET_MANIFEST: manifest,
      COHORT_EF_STATE_DIR: efStateDir,
      COHORT_INNER_LR: String(TRAINER.lr),
      COHORT_INNER_WARMUP_STEPS: String(TRAINER.warmupSteps),
      COHORT_INNER_TOTAL_STEPS: String(TRAINER.totalSteps),
      COHORT_MICRO_BATCH_SIZE: String(TRAINER.microBatchSize),
      COHORT_PAYLOAD_CHUNK_BYTES: String(256 * 1024),
      COHORT_HOTKEY_SEED: SEED_HEX,
    },
  });
  const ports = await proc.ports(60_000);
  await proc.waitForEvent('service_serving', 60_000);
  const transport = createTransport(`127.0.0.1:${ports.grpc}`);
  const client = createServiceClient(GpuWorkerService, transport);
  return {
    proc,
    transport,
    client,
    async stop(signal = 'SIGTERM') {
      transport.close();
      return proc.stop(signal);
    },
  };
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

/** Train a window and return the result event (progress events checked on the way). */
async function train(w: Worker, window: bigint, ids: readonly number[]) {
  const events = await collect(
    w.client.trainWindow({ runId: RUN, window, innerSteps: STEPS, sampleIds: ids.map(BigInt) }),
  );
  const progress = events.flatMap((e) => (e.event.case === 'progress' ? [e.event.value] : []));
  assert.deepEqual(
    progress.map((p) => p.step),
    Array.from({ length: STEPS }, (_, i) => i + 1),
  );
  const last = events.at(-1)?.event;
  assert.equal(last?.case, 'result');
  return last.value;
}

/** Encode a window and reassemble the streamed payload. */
async function encode(w: Worker, window: bigint) {
  const parts = await collect(w.client.encodeUpdate({ window }));
  const first = parts[0]?.part;
  assert.equal(first?.case, 'info');
  const chunks = parts.slice(1).map((p) => {
    assert.equal(p.part.case, 'chunk');
    assert.ok(p.part.value.length <= 256 * 1024);
    return p.part.value;
  });
  const bytes = Uint8Array.from(Buffer.concat(chunks));
  assert.equal(BigInt(bytes.length), first.value.sizeBytes);
  return { info: first.value, bytes };
}

function applyStream(window: bigint, bytes: Uint8Array, announced = bytes.length) {
  return [
    {
      part: {
        case: 'header' as const,
        value: { window, outerLearningRate: 1, sizeBytes: BigInt(announced) },
      },
    },
    ...Array.from({ length: Math.ceil(bytes.length / 100_000) }, (_, i) => ({
      part: { case: 'chunk' as const, value: bytes.subarray(i * 100_000, (i + 1) * 100_000) },
    })),
  ];
}

const hasReason = (reason: string, code?: number) => (e: unknown) =>
  e instanceof CohortError && e.reason === reason && (code === undefined || e.code === code);

/** What the worker does for one window, in this process: snapshot, one engine call per step, encode. */
async function emulate(engine: Engine, dataset: Dataset, ids: readonly number[], window: number) {
  await engine.snapshot();
  for (let s = 0; s < STEPS; s++)
    await engine.trainInner(dataset, 'train', Uint32Array.from(ids.slice(s * BATCH, (s + 1) * BATCH)), 1);
  const receipt = dataReceipt([...dataset.sampleIds('train', Uint32Array.from(ids))]);
  return engine.encodeUpdate({ runId: RUN, window, hotkey: MINER.publicKey, dataReceipt: receipt });
}

describe('gpu-worker over gRPC (devnet, CPU, Brown)', () => {
  let manifest: string;
  let dataset: Dataset;
  let ids0: number[];
  let a: Worker;
  let theta0: string;
  let payload0: Uint8Array;
  const workers: Worker[] = [];

  before(async () => {
    manifest = (await brownDataset()).manifestPath;
    dataset = await openDataset(manifest);
    const poolSize = dataset.sampleCount('train');
    const hotkey = encodeSs58(MINER.publicKey);
    ids0 = pagesFor({ runId: RUN, hotkey, window: 0, poolSize, count: STEPS * BATCH });
    a = await startWorker(manifest, mkdtempSync(join(tmpdir(), 'cohort-gw-a-')));
    workers.push(a);
  });
  after(async () => {
    for (const w of workers) if (w.proc.child.exitCode === null) await w.stop('SIGKILL');
    dataset.close();
  });

  test('GetInfo: the seeded replica is window 0', async () => {
    const info = await a.client.getInfo({});
    assert.equal(info.preset, 'devnet');
    assert.equal(info.parameterCount, 7_226_496n);
    assert.equal(info.device, 'cpu');
    assert.equal(info.stateWindow, 0n);
    assert.equal(
      info.hotkey,
      encodeSs58(MINER.publicKey),
      'the key it signs with, for the coordinator to check',
    );
    const fp = await a.client.getStateFingerprint({});
    assert.equal(fp.window, 0n);
    theta0 = hex(fp.stateFingerprint);
    assert.equal(theta0.length, 64);
  });

  test('a cancelled TrainWindow ends CANCELLED, BUSY meanwhile, and θ_w is back', async () => {
    const long = Array.from({ length: 40 }, (_, i) => i);
    const controller = new AbortController();
    const call = a.client.trainWindow(
      { runId: RUN, window: 0n, innerSteps: 20, sampleIds: long.map(BigInt) },
      { signal: controller.signal },
    );
    const iterator = call[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.ok(first.done !== true && first.value.event.case === 'progress');
    await assert.rejects(collect(a.client.encodeUpdate({ window: 0n })), hasReason('BUSY', Code.Aborted));
    controller.abort();
    await assert.rejects(iterator.next(), (e) => e instanceof CohortError && e.code === Code.Canceled);
    await a.proc.waitForEvent('training_abandoned', 30_000);
    assert.equal(hex((await a.client.getStateFingerprint({})).stateFingerprint), theta0);
  });

  test('TrainWindow, EncodeUpdate: finite falling losses, a receipt, a signed payload of θ_w', async () => {
    await assert.rejects(
      collect(
        a.client.trainWindow({ runId: RUN, window: 1n, innerSteps: STEPS, sampleIds: ids0.map(BigInt) }),
      ),
      hasReason('WRONG_WINDOW', Code.FailedPrecondition),
    );
    const result = await train(a, 0n, ids0);
    assert.equal(result.losses.length, STEPS);
    assert.ok(result.losses.every(Number.isFinite));
    assert.ok(result.losses.at(-1)! < result.losses[0]!, `losses ${result.losses.join(', ')}`);
    assert.ok(result.tokensPerSecond > 0);
    const receipt = dataReceipt([...dataset.sampleIds('train', Uint32Array.from(ids0))]);
    assert.equal(hex(result.dataReceipt), hex(receipt));

    const { info, bytes } = await encode(a, 0n);
    assert.equal(hex(info.blake2b256), hex(objectDigest(bytes)));
    assert.ok(info.keptValues > 0n);
    const decoded = await decodeUpdate(bytes, {
      expect: { runId: RUN, window: 0n, hotkey: MINER.publicKey },
    });
    assert.ok(decoded.ok, decoded.ok ? '' : `${decoded.reason}: ${decoded.detail}`);
    assert.equal(hex(decoded.summary.stateFingerprint), theta0);
    assert.equal(hex(decoded.summary.dataReceipt), hex(receipt));
    assert.equal(hex((await a.client.getStateFingerprint({})).stateFingerprint), theta0);
    // Asked again with nothing changed: the same payload, not a second fold into e.
    assert.equal(hex((await encode(a, 0n)).bytes), hex(bytes));
    payload0 = bytes;
  });

  test('ApplyAggregate: exact size, window + 1, same fingerprint on two same-seed workers', async () => {
    const aggregate = await aggregateUpdates([payload0], {
      runId: RUN,
      window: 0n,
      hotkey: AGGREGATOR.publicKey,
      stateFingerprint: null,
    });
    signObject(aggregate.bytes, AGGREGATOR);
    const b = await startWorker(manifest, mkdtempSync(join(tmpdir(), 'cohort-gw-b-')));
    workers.push(b);
    for (const announced of [aggregate.bytes.length + 1, aggregate.bytes.length - 1]) {
      await assert.rejects(
        b.client.applyAggregate(applyStream(0n, aggregate.bytes, announced)),
        hasReason('SIZE_MISMATCH', Code.InvalidArgument),
      );
    }
    // An aggregate computed from another θ_0 is refused and leaves the replica as it was.
    // (The miner's update, re-sealed as computed from another θ: an aggregate of it names that θ.)
    const otherState = Uint8Array.from(payload0);
    otherState.fill(0x11, 120, 152); // the header's state fingerprint (docs/wire-format.md §4)
    otherState.set(blake2b256(otherState.subarray(0, otherState.length - 96)), otherState.length - 96);
    signObject(otherState, MINER);
    const foreign = await aggregateUpdates([otherState], {
      runId: RUN,
      window: 0n,
      hotkey: AGGREGATOR.publicKey,
      stateFingerprint: null,
    });
    signObject(foreign.bytes, AGGREGATOR);
    await assert.rejects(b.client.applyAggregate(applyStream(0n, foreign.bytes)), hasReason('WRONG_STATE'));
    assert.equal(hex((await b.client.getStateFingerprint({})).stateFingerprint), theta0);
    const fa = await a.client.applyAggregate(applyStream(0n, aggregate.bytes));
    const fb = await b.client.applyAggregate(applyStream(0n, aggregate.bytes));
    assert.notEqual(hex(fa.stateFingerprint), theta0);
    assert.equal(hex(fa.stateFingerprint), hex(fb.stateFingerprint));
    const now = await a.client.getStateFingerprint({});
    assert.equal(now.window, 1n);
    assert.equal(hex(now.stateFingerprint), hex(fa.stateFingerprint));
    assert.equal((await b.client.getInfo({})).stateWindow, 1n);
    await assert.rejects(
      b.client.applyAggregate(applyStream(0n, aggregate.bytes)),
      hasReason('WRONG_WINDOW', Code.FailedPrecondition),
    );
    const metrics = await (await fetch(`http://127.0.0.1:${(await a.proc.ports()).metrics}/metrics`)).text();
    const count = (name: string, result: string, n: number): RegExp =>
      new RegExp(`cohort_gpu_worker_${name}_seconds_count\\{[^}]*result="${result}"[^}]*\\} ${n}\n`);
    assert.match(metrics, count('train', 'cancelled', 1));
    assert.match(metrics, count('train', 'ok', 1));
    assert.match(metrics, count('encode', 'ok', 2));
    assert.match(metrics, count('apply', 'ok', 1));
    assert.match(metrics, /cohort_gpu_worker_payload_bytes_total\{[^}]*\} [1-9]\d*\n/);
    assert.match(metrics, /cohort_gpu_worker_tokens_per_second\{[^}]*\} [1-9]/);
    await b.stop();
  });

  test('the error feedback survives SIGKILL and a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cohort-gw-c-'));
    let c = await startWorker(manifest, dir);
    workers.push(c);
    await train(c, 0n, ids0);
    const before = await encode(c, 0n);
    assert.equal(await c.stop('SIGKILL'), 'SIGKILL');
    c = await startWorker(manifest, dir);
    workers.push(c);
    const loaded = await c.proc.waitForEvent('ef_state_loaded');
    assert.equal(loaded.window, '0');
    await train(c, 0n, ids0);
    const afterRestart = await encode(c, 0n);

    // The same in this process: a worker that never restarted would keep its optimizer; a restarted one
    // starts a fresh optimizer from the seed but with the persisted e, and that is what it produced.
    const first = await createEngine({ preset: 'devnet', seed: 0, threads: 1, trainer: TRAINER });
    const second = await createEngine({ preset: 'devnet', seed: 0, threads: 1, trainer: TRAINER });
    try {
      const p1 = await emulate(first, dataset, ids0, 0);
      assert.equal(hex(p1.digest), hex(before.info.blake2b256));
      const e = await first.errorFeedbackState();
      assert.ok(e !== null);
      await second.loadErrorFeedback(e);
      const p2 = await emulate(second, dataset, ids0, 0);
      assert.equal(hex(p2.digest), hex(afterRestart.info.blake2b256));
      assert.notEqual(hex(p2.digest), hex(p1.digest));
    } finally {
      await first.dispose();
      await second.dispose();
    }
    assert.equal(await c.stop(), 0, c.proc.stderr());
  });
});
