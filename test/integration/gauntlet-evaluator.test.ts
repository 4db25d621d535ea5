/**
 * Two gauntlet-evaluator binaries against a real nats-server (JetStream) and a real checkpoint-store
 * process, on the CPU with the devnet preset and Brown. The test plays the rest of the run itself: it
 * writes the genesis checkpoint 5 and LATEST, makes the miners' updates and the aggregates in this
 * process (engine training + encode + sign, as gpu-workers and the aggregator do), publishes ScoreJobs to
 * the run's work queue and reads the ScoreResults back from the results stream.
 *
 * - Window 5: an honest update is scored (losses equal to this process's own measurement on θ_5, and the
 *   update lowers the loss on its pages); a second one is read from the miner's own bucket (a second
 *   store's filesystem, named in the job); a wrong data receipt, an update from another state, garbage
 *   and a missing payload get their faults; both evaluators take jobs.
 * - Window 6: whichever evaluator starts a job first is SIGKILLed while on it; the job comes back to the
 *   other after ackWaitMs and is answered once (replayed A_5 to θ_6).
 * - Window 7 before A_6 exists: deferred (nak with delay), scored once A_6 is published (θ_7); a repeated
 *   window-5 job on a replica at a later window reloads checkpoint 5 and its result is dropped as a
 *   duplicate: exactly one result per (window, hotkey). Meanwhile a sample job of that update (ADR 0018)
 *   is answered at once, with no replica (the same index sample as its score later), and a job past its
 *   deadline is dropped unanswered.
 * - A job whose only delivery dies with its evaluator (maxDeliver 1) is answered EVALUATOR_FAILED
 *   (MAX_DELIVERIES) by the other evaluator from JetStream's advisory, and removed from the queue.
 * - Clip references (protocol §5): a sample job answers the update's per-tensor norms; a score job
 *   carrying references of half those norms measures exactly what this process measures for the update
 *   clipped to them (not the unclipped losses); references of the wrong count are the job's fault
 *   (EVALUATOR_FAILED, BAD_JOB), and a payload encoded for another model is INVALID (WRONG_MODEL).
 * - Every job carries its window's evaluation seed (ADR 0025): the evaluators measure the seeded subset
 *   of the assigned pages and the seeded control pages (what this process computes from the seed); a
 *   seed of another length is BAD_JOB.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  aggregateKey,
  blake2b256,
  checkpointKeys,
  evaluationPages,
  evaluationSeed,
  dataReceipt,
  encodeCheckpointManifest,
  encodeLatest,
  encodeSs58,
  hotkeyFromSeed,
  latestKey,
  pagesFor,
  runSubjects,
  scoreJobsStream,
  updateKey,
  decodeIndexSample,
  sampleOverlap,
  smallestClipFactor,
} from '@cohort/core';
import type { HotkeyPair } from '@cohort/core';
import { StoreClient, createServiceClient, createTransport } from '@cohort/kit';
import { aggregateUpdates, createEngine, decodeUpdate, openDataset, signObject } from '@cohort/native';
import type { Dataset, Engine } from '@cohort/native';
import {
  EvaluatorService,
  JobKind,
  ScoreJobSchema,
  ScoreResultSchema,
} from '@cohort/proto/cohort/gauntlet/v1/gauntlet';
import type { ScoreJob, ScoreResult } from '@cohort/proto/cohort/gauntlet/v1/gauntlet';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { brownDataset, foreignModelUpdate, spawnService, startNatsServer } from '../harness/index.js';
import type { LogRecord, NatsServer, ServiceProcess } from '../harness/index.js';

const RUN = 'gauntlet-test';
/** The results stream the evaluators declare (services/gauntlet-evaluator/src/work-queue.ts). */
const RESULTS_STREAM = `cohort-${RUN}-score-results`;
const AGGREGATOR = hotkeyFromSeed(new Uint8Array(32).fill(0xee));
const miner = (n: number): HotkeyPair => hotkeyFromSeed(new Uint8Array(32).fill(0x20 + n));
const [HONEST, HONEST2, RECEIPT, STALE, GARBAGE_KEY, ABSENT] = [1, 2, 3, 4, 5, 6].map(miner) as [
  HotkeyPair,
  HotkeyPair,
  HotkeyPair,
  HotkeyPair,
  HotkeyPair,
  HotkeyPair,
];
const ss58 = (pair: HotkeyPair): string => encodeSs58(pair.publicKey);
const STEPS = 2;
const BATCH = 2;
const EVAL_SAMPLES = 4;
const EVAL_MICRO_BATCH = 2;
const EVAL_ALPHA = 0.2;
const ACK_WAIT_MS = 3000;
const TRAINER = { lr: 3e-3, warmupSteps: 2, totalSteps: 100, microBatchSize: 2 };
const GARBAGE = new TextEncoder().encode('not an update object at all, just bytes '.repeat(8));
const GENESIS = 5;

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');
const resultId = (window: number, pair: HotkeyPair): string => `${window}/${ss58(pair)}`;

/** An evaluator's /metrics text. */
async function metricsOf(evaluator: ServiceProcess): Promise<string> {
  return (await fetch(`http://127.0.0.1:${(await evaluator.ports()).metrics}/metrics`)).text();
}

/** The value of `name` on the line carrying every label of `labels` (any order), or undefined. */
function metricValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  const line = text
    .split('\n')
    .find(
      (l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    );
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The evaluator's `cohort_evaluator_queue_jobs` gauge, by state, from its /metrics. */
async function queueJobs(evaluator: ServiceProcess): Promise<{ pending: number; in_progress: number }> {
  const text = await metricsOf(evaluator);
  const value = (state: string): number =>
    Number(metricValue(text, 'cohort_evaluator_queue_jobs', { state }));
  return { pending: value('pending'), in_progress: value('in_progress') };
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('gauntlet-evaluator (devnet, CPU, real NATS and checkpoint-store)', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let storeProc: ServiceProcess;
  /** A miner's own bucket (filesystem), read by the evaluators through the run's store as a peer's. */
  let peerRoot: string;
  let peerStoreProc: ServiceProcess;
  let peerStore: StoreClient;
  let store: StoreClient;
  let storeAddress: string;
  let fsRoot: string;
  let manifestPath: string;
  let dataset: Dataset;
  let engine: Engine;
  let trainSamples: number;
  const evaluators: ServiceProcess[] = [];
  /** θ fingerprints by window. */
  const theta = new Map<number, string>();
  /** What this process measured for the honest window-5 update (the evaluators must agree). */
  let expected: { assignedBefore: number; assignedAfter: number; randomBefore: number; randomAfter: number };
  /** Updates by window, in the order they are aggregated. */
  const updates = new Map<number, Uint8Array[]>();

  /** The validator's secret of this test, and each window's evaluation seed from it. */
  const seedOf = (window: number): Uint8Array => evaluationSeed(new Uint8Array(32).fill(0x5e), RUN, window);

  const pagesOf = (pair: HotkeyPair, window: number): number[] =>
    pagesFor({ runId: RUN, hotkey: ss58(pair), window, poolSize: trainSamples, count: STEPS * BATCH });

  /**
   * The pages an evaluator measures `pair`'s window-`window` update on: the seeded subset of its
   * assigned pages (here all 4, in the draw's order) and the seeded control pages (the jobs carry the
   * window's seed, ADR 0025).
   */
  const evalPagesOf = (pair: HotkeyPair, window: number) => {
    const pages = evaluationPages({
      runId: RUN,
      hotkey: ss58(pair),
      window,
      assigned: pagesOf(pair, window),
      poolSize: trainSamples,
      count: EVAL_SAMPLES,
      seed: seedOf(window),
    });
    return { assigned: Uint32Array.from(pages.assigned), control: Uint32Array.from(pages.control) };
  };

  /** A signed update of `window` for `pair`, trained on `pages` from the engine's current state (θ comes back). */
  async function makeUpdate(pair: HotkeyPair, window: number, pages: number[]): Promise<Uint8Array> {
    const ids = Uint32Array.from(pages);
    await engine.snapshot();
    await engine.trainInner(dataset, 'train', ids, STEPS);
    const update = await engine.encodeUpdate({
      runId: RUN,
      window,
      hotkey: pair.publicKey,
      dataReceipt: dataReceipt([...dataset.sampleIds('train', ids)]),
    });
    signObject(update.bytes, pair);
    return update.bytes;
  }

  /** A_window over `objects`, signed by the test's aggregator key; not applied. */
  async function makeAggregate(window: number, objects: Uint8Array[]): Promise<Uint8Array> {
    const result = await aggregateUpdates(objects, {
      runId: RUN,
      window,
      hotkey: AGGREGATOR.publicKey,
      stateFingerprint: Buffer.from(theta.get(window) ?? '', 'hex'),
    });
    signObject(result.bytes, AGGREGATOR);
    return result.bytes;
  }

  /** θ_{window+1} = θ_window − A_window in this process. */
  async function applyAggregate(window: number, aggregate: Uint8Array): Promise<void> {
    await engine.applyAggregate(aggregate, 1, {
      runId: RUN,
      window,
      stateFingerprint: Buffer.from(theta.get(window) ?? '', 'hex'),
    });
    theta.set(window + 1, await engine.stateFingerprint());
  }

  async function putUpdate(window: number, pair: HotkeyPair, bytes: Uint8Array): Promise<void> {
    await store.put(updateKey(RUN, window, ss58(pair)), bytes);
    updates.set(window, [...(updates.get(window) ?? []), bytes]);
  }

  async function publishJob(
    window: number,
    pair: HotkeyPair,
    uid: number,
    bucket?: { endpoint: string; bucket: string },
    extra: Partial<Pick<ScoreJob, 'kind' | 'deadlineUnixMs' | 'clipNorms' | 'evaluationSeed'>> = {},
  ): Promise<void> {
    const job = create(ScoreJobSchema, {
      runId: RUN,
      window: BigInt(window),
      uid,
      hotkey: ss58(pair),
      payloadKey: updateKey(RUN, window, ss58(pair)),
      firstSeenUnixMs: BigInt(Date.now()),
      innerSteps: STEPS,
      batchSize: BATCH,
      evaluationSeed: seedOf(window),
      ...(bucket === undefined ? {} : { bucket }),
      ...extra,
    });
    await js.publish(runSubjects(RUN).scoreJobs, toBinary(ScoreJobSchema, job));
  }

  /** Every ScoreResult in the results stream, in order. */
  async function results(): Promise<ScoreResult[]> {
    const info = await jsm.streams.info(RESULTS_STREAM);
    const out: ScoreResult[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const stored = await jsm.streams.getMessage(RESULTS_STREAM, { seq });
      if (stored !== null) out.push(fromBinary(ScoreResultSchema, stored.data));
    }
    return out;
  }

  const byId = (all: ScoreResult[]): Map<string, ScoreResult> =>
    new Map(all.map((r) => [`${r.window}/${r.hotkey}${r.kind === JobKind.SAMPLE ? '/sample' : ''}`, r]));

  async function resultFor(window: number, pair: HotkeyPair, timeoutMs = 60_000): Promise<ScoreResult> {
    return until(
      `the result of ${resultId(window, pair)}`,
      async () => byId(await results()).get(resultId(window, pair)),
      timeoutMs,
    );
  }

  function startEvaluator(id: string, extra: Record<string, string> = {}): ServiceProcess {
    const proc = spawnService('gauntlet-evaluator', {
      env: {
        COHORT_RUN_ID: RUN,
        COHORT_NATS_URL: nats.url,
        COHORT_STORE_ADDRESS: storeAddress,
        COHORT_PRESET: 'devnet',
        COHORT_DEVICE: 'cpu',
        COHORT_THREADS: '1',
        COHORT_DATASET_MANIFEST: manifestPath,
        COHORT_EVAL_SAMPLES: String(EVAL_SAMPLES),
        COHORT_EVAL_MICRO_BATCH: String(EVAL_MICRO_BATCH),
        COHORT_EVAL_LR_FACTOR: String(EVAL_ALPHA),
        COHORT_ACK_WAIT_MS: String(ACK_WAIT_MS),
        COHORT_MAX_DELIVER: '20',
        COHORT_NOT_READY_RETRY_MS: '500',
        COHORT_EVALUATOR_ID: id,
        ...extra,
      },
    });
    evaluators.push(proc);
    return proc;
  }

  /** SIGKILL whichever of `procs` logs `job_started` for `window` first, as soon as the line is out. */
  function killOnJobStart(procs: ServiceProcess[], window: number): Promise<ServiceProcess> {
    const started = new RegExp(`"event":"job_started"[^\\n]*"window":"${window}"`);
    return new Promise((resolve) => {
      let done = false;
      for (const proc of procs) {
        let buffer = '';
        proc.child.stdout?.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('utf8');
          if (!done && started.test(buffer)) {
            done = true;
            proc.child.kill('SIGKILL');
            void proc.exited.then(() => resolve(proc));
          }
          buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
        });
      }
    });
  }

  const recordsOf = (event: string, window: number): LogRecord[] =>
    evaluators.flatMap((p) => p.records.filter((r) => r.event === event && r.window === String(window)));

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    fsRoot = mkdtempSync(join(tmpdir(), 'cohort-eval-store-'));
    storeProc = spawnService('checkpoint-store', {
      env: { COHORT_FS_ROOT: fsRoot, COHORT_PEER_ENDPOINTS: 'any' },
    });
    storeAddress = `127.0.0.1:${(await storeProc.ports()).grpc}`;
    await storeProc.waitForEvent('service_serving');
    peerRoot = mkdtempSync(join(tmpdir(), 'cohort-eval-peer-'));
    peerStoreProc = spawnService('checkpoint-store', {
      env: { COHORT_FS_ROOT: join(peerRoot, 'miner-bucket') },
    });
    peerStore = new StoreClient(`127.0.0.1:${(await peerStoreProc.ports()).grpc}`);
    await peerStoreProc.waitForEvent('service_serving');
    store = new StoreClient(storeAddress);
    manifestPath = (await brownDataset()).manifestPath;
    dataset = await openDataset(manifestPath);
    trainSamples = dataset.sampleCount('train');
    engine = await createEngine({ preset: 'devnet', seed: 0, threads: 1, trainer: TRAINER });
  });

  after(async () => {
    store.close();
    peerStore.close();
    for (const p of [...evaluators, storeProc, peerStoreProc])
      if (p.child.exitCode === null && p.child.signalCode === null) await p.stop('SIGKILL');
    await nc.close();
    await nats.dispose();
    await engine.dispose();
    dataset.close();
    rmSync(fsRoot, { recursive: true, force: true });
    rmSync(peerRoot, { recursive: true, force: true });
  });

  test('window 5: honest update scored, each fault recognised, both evaluators at work', async (t) => {
    // Genesis checkpoint 5 (θ_5 = the seed-0 devnet state) and LATEST, as the aggregator writes them.
    theta.set(GENESIS, await engine.stateFingerprint());
    const dir = mkdtempSync(join(tmpdir(), 'cohort-eval-ckpt-'));
    try {
      await engine.saveCheckpoint(dir);
      const keys = checkpointKeys(RUN, GENESIS);
      const model = readFileSync(join(dir, 'model.safetensors'));
      const config = readFileSync(join(dir, 'config.json'));
      await store.put(keys.model, model);
      await store.put(keys.config, config);
      const entry = (b: Uint8Array) => ({ sizeBytes: b.length, blake2b256: hex(blake2b256(b)) });
      await store.put(
        keys.manifest,
        encodeCheckpointManifest(
          {
            runId: RUN,
            window: GENESIS,
            preset: 'devnet',
            stateFingerprint: theta.get(GENESIS) ?? '',
            model: entry(model),
            config: entry(config),
            createdUnixMs: Date.now(),
          },
          AGGREGATOR,
        ),
      );
      await store.put(latestKey(RUN), encodeLatest(GENESIS));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // Window 5's updates, all from θ_5 except the stale one.
    const honestPages = pagesOf(HONEST, 5);
    await putUpdate(5, HONEST, await makeUpdate(HONEST, 5, honestPages));
    // HONEST2's payload is only in its own bucket (the job names it), not in the run's store.
    const honest2Update = await makeUpdate(HONEST2, 5, pagesOf(HONEST2, 5));
    await peerStore.put(updateKey(RUN, 5, ss58(HONEST2)), honest2Update);
    updates.set(5, [...(updates.get(5) ?? []), honest2Update]);
    const wrongReceipt = await makeUpdate(RECEIPT, 5, pagesOf(HONEST2, 9)); // trained on pages not its own
    await store.put(updateKey(RUN, 5, ss58(RECEIPT)), wrongReceipt);
    await store.put(updateKey(RUN, 5, ss58(GARBAGE_KEY)), GARBAGE);
    assert.equal(await engine.stateFingerprint(), theta.get(5), 'encoding puts θ back');

    // What the evaluators must measure for HONEST: this process's own losses on θ_5 and after 0.2·update.
    const { assigned, control } = evalPagesOf(HONEST, 5);
    const assignedBefore = await engine.evalLoss(dataset, 'train', assigned, EVAL_MICRO_BATCH);
    const randomBefore = await engine.evalLoss(dataset, 'train', control, EVAL_MICRO_BATCH);
    const honestUpdate = (updates.get(5) ?? [])[0] ?? new Uint8Array();
    const single = await aggregateUpdates([honestUpdate], {
      runId: RUN,
      window: 5,
      hotkey: AGGREGATOR.publicKey,
      stateFingerprint: Buffer.from(theta.get(5) ?? '', 'hex'),
    });
    signObject(single.bytes, AGGREGATOR);
    await engine.snapshot();
    await engine.applyAggregate(single.bytes, EVAL_ALPHA, { runId: RUN, window: 5 });
    const assignedAfter = await engine.evalLoss(dataset, 'train', assigned, EVAL_MICRO_BATCH);
    const randomAfter = await engine.evalLoss(dataset, 'train', control, EVAL_MICRO_BATCH);
    await engine.pseudoGradient();
    assert.equal(await engine.stateFingerprint(), theta.get(5));
    expected = { assignedBefore, assignedAfter, randomBefore, randomAfter };

    // A_5 over the honest pair: θ_6 in this process; an update of window 5 made from θ_6 is out of sync.
    const a5 = await makeAggregate(5, updates.get(5) ?? []);
    await applyAggregate(5, a5);
    await store.put(updateKey(RUN, 5, ss58(STALE)), await makeUpdate(STALE, 5, pagesOf(STALE, 5)));

    const a = startEvaluator('eval-a', { COHORT_HOTKEY_SEED: 'ab'.repeat(32) });
    const b = startEvaluator('eval-b');
    const readyA = await a.waitForEvent('evaluator_ready', 60_000);
    const readyB = await b.waitForEvent('evaluator_ready', 60_000);
    assert.equal(readyA.ephemeralKey, false);
    assert.equal(readyB.ephemeralKey, true);
    assert.equal(readyA.trainSamples, trainSamples);

    const jobs: [HotkeyPair, number][] = [
      [HONEST, 1],
      [HONEST2, 2],
      [RECEIPT, 3],
      [STALE, 4],
      [GARBAGE_KEY, 5],
      [ABSENT, 6],
    ];
    const minerBucket = { endpoint: `file://${peerRoot}`, bucket: 'miner-bucket' };
    for (const [pair, uid] of jobs)
      await publishJob(5, pair, uid, pair === HONEST2 ? minerBucket : undefined);
    const got = new Map<HotkeyPair, ScoreResult>();
    for (const [pair] of jobs) got.set(pair, await resultFor(5, pair));

    const faultOf = (pair: HotkeyPair) => got.get(pair)?.fault;
    assert.deepEqual(
      jobs.map(([pair]) => faultOf(pair)),
      ['', '', 'RECEIPT_MISMATCH', 'OUT_OF_SYNC', 'INVALID', 'MISSING'],
    );
    const garbage = got.get(GARBAGE_KEY);
    assert.equal(garbage?.rejectionReason, 'BAD_MAGIC');
    const stale = got.get(STALE);
    assert.equal(hex(stale?.stateFingerprint), theta.get(5));
    assert.equal(hex(stale?.payloadStateFingerprint), theta.get(6));
    assert.equal(hex(got.get(RECEIPT)?.stateFingerprint), theta.get(5));

    const honest = got.get(HONEST);
    assert.ok(honest);
    assert.equal(honest.uid, 1);
    assert.equal(honest.evalSamples, EVAL_SAMPLES);
    assert.equal(hex(honest.stateFingerprint), theta.get(5));
    assert.equal(honest.attempt, 1);
    assert.equal(hex(honest.payloadBlake2b256), hex(single.contributors[0]?.digest ?? undefined));
    assert.equal(hex(honest.objectBlake2b256), hex(blake2b256(honestUpdate)), 'the whole object scored');
    const sample = decodeIndexSample(honest.indexSample);
    assert.ok(sample.length > 100, `an index sample of ${sample.length} coordinates`);
    const other = decodeIndexSample(got.get(HONEST2)?.indexSample ?? new Uint8Array());
    assert.ok(sampleOverlap(sample, other) < 0.4, 'two honest miners do not look like copies');
    for (const v of [
      honest.lossAssignedBefore,
      honest.lossAssignedAfter,
      honest.lossRandomBefore,
      honest.lossRandomAfter,
    ])
      assert.ok(Number.isFinite(v) && v > 0, `loss ${v}`);
    assert.ok(
      honest.lossAssignedAfter < honest.lossAssignedBefore,
      `the update lowers the loss on its own pages: ${honest.lossAssignedBefore} → ${honest.lossAssignedAfter}`,
    );
    // Bit-identical CPU engines: the evaluator measured exactly what this process did.
    assert.deepEqual(
      {
        assignedBefore: honest.lossAssignedBefore,
        assignedAfter: honest.lossAssignedAfter,
        randomBefore: honest.lossRandomBefore,
        randomAfter: honest.lossRandomAfter,
      },
      expected,
    );
    t.diagnostic(
      `honest losses: assigned ${honest.lossAssignedBefore} → ${honest.lossAssignedAfter}, random ${honest.lossRandomBefore} → ${honest.lossRandomAfter}`,
    );
    const honest2 = got.get(HONEST2);
    assert.ok(honest2 && honest2.lossAssignedAfter < honest2.lossAssignedBefore);

    // Both evaluators took jobs, each result names the one that produced it.
    const scoredBy = (p: ServiceProcess) => p.records.filter((r) => r.event === 'job_scored').length;
    assert.ok(scoredBy(a) > 0 && scoredBy(b) > 0, `a scored ${scoredBy(a)}, b scored ${scoredBy(b)}`);
    assert.deepEqual(new Set([...got.values()].map((r) => r.evaluatorId)), new Set(['eval-a', 'eval-b']));
    assert.equal((await results()).length, 6);
  });

  test('window 6: an evaluator killed mid-job; the job is redelivered to the other and answered once', async (t) => {
    await store.put(aggregateKey(RUN, 5), await makeAggregate(5, updates.get(5) ?? []));
    await putUpdate(6, HONEST, await makeUpdate(HONEST, 6, pagesOf(HONEST, 6)));
    await putUpdate(6, HONEST2, await makeUpdate(HONEST2, 6, pagesOf(HONEST2, 6)));
    assert.equal(await engine.stateFingerprint(), theta.get(6));

    // Kill whichever evaluator starts a window-6 job first, the moment it says so.
    const [a, b] = evaluators as [ServiceProcess, ServiceProcess];
    const killed = killOnJobStart([a, b], 6);
    await publishJob(6, HONEST, 1);
    await publishJob(6, HONEST2, 2);
    const victim = await killed;
    const survivor = victim === a ? b : a;
    const started = victim.records.filter((r) => r.event === 'job_started' && r.window === '6');
    assert.equal(started.length, 1);
    const lost = String(started[0]?.hotkey);
    assert.equal(
      victim.records.filter((r) => r.event === 'job_scored' && r.window === '6').length,
      0,
      'killed before it answered',
    );

    const lostPair = lost === ss58(HONEST) ? HONEST : HONEST2;
    const redelivered = await resultFor(6, lostPair);
    const other = await resultFor(6, lostPair === HONEST ? HONEST2 : HONEST);
    const survivorId = survivor === a ? 'eval-a' : 'eval-b';
    assert.equal(redelivered.evaluatorId, survivorId);
    assert.ok(redelivered.attempt >= 2, `attempt ${redelivered.attempt}`);
    t.diagnostic(
      `killed ${victim === a ? 'eval-a' : 'eval-b'} on ${lost}; attempt ${redelivered.attempt} by ${survivorId}`,
    );
    for (const r of [redelivered, other]) {
      assert.equal(r.fault, '');
      assert.equal(hex(r.stateFingerprint), theta.get(6), 'scored against θ_6 = θ_5 − A_5');
      assert.ok(r.lossAssignedAfter < r.lossAssignedBefore);
    }
    assert.ok(survivor.records.some((r) => r.event === 'aggregate_replayed' && r.window === 5));
    const all = await results();
    assert.equal(all.length, 8);
    assert.equal(byId(all).size, 8, 'one result per (window, hotkey)');
  });

  test('window 7 before A_6: deferred, then scored once A_6 is out; a repeated older job is deduplicated', async () => {
    const survivor = evaluators.find((p) => p.child.exitCode === null && p.child.signalCode === null);
    assert.ok(survivor);
    const a6 = await makeAggregate(6, updates.get(6) ?? []);
    await applyAggregate(6, a6);
    await putUpdate(7, HONEST, await makeUpdate(HONEST, 7, pagesOf(HONEST, 7)));
    await publishJob(7, HONEST, 1);
    await until('job_deferred for window 7', () => recordsOf('job_deferred', 7)[0]);
    const deferred = recordsOf('job_deferred', 7)[0];
    assert.equal(deferred?.reason, 'AGGREGATE_NOT_READY');
    // The deferred job is still in the work queue, and the evaluators' queue gauge says so.
    const queued = await queueJobs(survivor);
    assert.equal(queued.pending + queued.in_progress, 1, JSON.stringify(queued));

    // A sample job needs no θ (ADR 0018): answered while the score job of the same update waits for A_6.
    await publishJob(7, HONEST, 1, undefined, { kind: JobKind.SAMPLE });
    const sampled = await until('the window-7 sample result', () =>
      results().then((all) => byId(all).get(`${resultId(7, HONEST)}/sample`)),
    );
    assert.equal(sampled.fault, '', sampled.detail);
    assert.equal(sampled.kind, JobKind.SAMPLE);
    assert.ok(decodeIndexSample(sampled.indexSample).length > 0, 'an index sample');
    assert.equal(hex(sampled.objectBlake2b256), hex(blake2b256(updates.get(7)![0]!)));
    assert.equal(sampled.payloadBlake2b256.length, 32);
    assert.equal(sampled.lossAssignedBefore, 0, 'no losses measured');
    assert.equal(sampled.stateFingerprint.length, 0, 'no replica used');
    assert.equal(byId(await results()).get(resultId(7, HONEST)), undefined, 'the score job still waits');

    // A job pulled past its deadline (the validator no longer waits) is dropped, unanswered.
    await publishJob(7, ABSENT, 6, undefined, { deadlineUnixMs: BigInt(Date.now() - 60_000) });
    const dropped = await until('job_expired', () =>
      survivor.records.find((r) => r.event === 'job_expired' && r.hotkey === ss58(ABSENT)),
    );
    assert.equal(dropped.kind, 'score');
    assert.equal(byId(await results()).get(resultId(7, ABSENT)), undefined, 'no answer for nobody');

    // The honest window-5 job again (a validator's retry): its replica is past 5, so it reloads checkpoint 5;
    // the result is JetStream-deduplicated by <window>/<hotkey>.
    // The evaluator publishes (and logs result_duplicate) before it acks and logs job_scored: wait for
    // this job's own job_scored record, not merely the last one of window 5.
    const honest5 = (event: string): LogRecord[] =>
      survivor.records.filter((r) => r.event === event && r.window === '5' && r.hotkey === ss58(HONEST));
    const scoredBefore = honest5('job_scored').length;
    const duplicatesBefore = honest5('result_duplicate').length;
    await publishJob(5, HONEST, 1);
    await until('the duplicate result', () => honest5('result_duplicate')[duplicatesBefore]);
    const rescored = await until('the repeated job scored', () => honest5('job_scored')[scoredBefore]);
    assert.equal(rescored?.fault, '');
    assert.equal(rescored?.lossAssignedBefore, expected.assignedBefore, 'the same θ_5, the same losses');

    await store.put(aggregateKey(RUN, 6), a6);
    const r7 = await resultFor(7, HONEST);
    assert.equal(r7.fault, '', `${r7.fault} (${r7.rejectionReason}): ${r7.detail}`);
    assert.equal(hex(r7.stateFingerprint), theta.get(7));
    assert.ok(r7.attempt >= 2, 'deferred at least once');
    assert.equal(r7.kind, JobKind.UNSPECIFIED);
    assert.equal(hex(r7.indexSample), hex(sampled.indexSample), 'the sample job sampled the same');
    assert.equal(hex(r7.objectBlake2b256), hex(sampled.objectBlake2b256));

    const all = await results();
    assert.equal(all.length, 10);
    assert.equal(byId(all).size, 10);
    const jobsLeft = (await jsm.streams.info(scoreJobsStream(RUN))).state.messages;
    assert.equal(jobsLeft, 0, 'every job acknowledged (work queue empty)');
    assert.deepEqual(await queueJobs(survivor), { pending: 0, in_progress: 0 });

    const ports = await survivor.ports();
    const transport = createTransport(`127.0.0.1:${ports.grpc}`);
    try {
      const status = await createServiceClient(EvaluatorService, transport).getStatus({});
      assert.equal(status.jobsInFlight, 0);
      assert.equal(status.stateWindow, 7n);
      assert.equal(hex(status.stateFingerprint), theta.get(7));
      assert.ok(status.jobsCompleted >= 4n);
      assert.ok(status.attemptsFailed >= 1n);
      assert.equal(status.jobsFailed, 0n);
      assert.equal(status.jobsExpired, 1n);
    } finally {
      transport.close();
    }
    const metrics = await metricsOf(survivor);
    const sample = (name: string, labels: Record<string, string>): number | undefined =>
      metricValue(metrics, name, labels);
    const jobs = (kind: string, result: string): number | undefined =>
      sample('cohort_evaluator_jobs_total', { kind, result, fault: '' });
    assert.ok((jobs('score', 'scored') ?? 0) >= 3);
    assert.ok((jobs('score', 'deferred') ?? 0) >= 1);
    assert.equal(jobs('sample', 'sampled'), 1);
    assert.equal(jobs('score', 'expired'), 1);
    // Each kind is counted apart (the failing-ratio alert divides by kind): no sampled score job, no scored sample.
    assert.equal(jobs('score', 'sampled'), undefined);
    assert.equal(jobs('sample', 'scored'), undefined);
    // The deferred score job fetched the window-7 payload once: its redeliveries and the sample job
    // were served from the payload cache.
    assert.ok((sample('cohort_evaluator_payload_cache_total', { outcome: 'hit' }) ?? 0) >= 2);
    assert.equal(sample('cohort_evaluator_state_window', {}), 7);
    assert.equal(sample('cohort_evaluator_jobs_in_flight', {}), 0);
    assert.ok((sample('cohort_evaluator_phase_seconds_count', { phase: 'measure', result: 'ok' }) ?? 0) >= 3);
    assert.ok((sample('cohort_evaluator_aggregates_replayed_total', {}) ?? 0) >= 2);

    assert.equal(await survivor.stop('SIGTERM'), 0, survivor.stderr());
    assert.equal((await survivor.waitForEvent('shutdown_complete')).forced, false);
    assert.deepEqual(
      survivor.records.filter((r) => r.level === 'error'),
      [],
    );
    assert.equal(survivor.stderr(), '');
  });

  test('a job whose last delivery dies with its evaluator is answered EVALUATOR_FAILED (MAX_DELIVERIES)', async () => {
    await putUpdate(7, HONEST2, await makeUpdate(HONEST2, 7, pagesOf(HONEST2, 7)));
    // One delivery per job, a short ack wait: the replicas bring the shared consumer to their settings.
    const env = { COHORT_MAX_DELIVER: '1', COHORT_ACK_WAIT_MS: '1000' };
    const c = startEvaluator('eval-c', env);
    const d = startEvaluator('eval-d', env);
    await c.waitForEvent('evaluator_ready', 60_000);
    await d.waitForEvent('evaluator_ready', 60_000);
    const consumer = await jsm.consumers.info(scoreJobsStream(RUN), 'gauntlet-evaluators');
    assert.equal(consumer.config.max_deliver, 1);
    assert.equal(consumer.config.ack_wait, 1000 * 1_000_000);

    const killed = killOnJobStart([c, d], 7);
    await publishJob(7, HONEST2, 2);
    const victim = await killed;
    const survivor = victim === c ? d : c;
    const failed = await resultFor(7, HONEST2);
    assert.equal(failed.fault, 'EVALUATOR_FAILED');
    assert.match(failed.detail, /^MAX_DELIVERIES: /);
    assert.equal(failed.evaluatorId, survivor === c ? 'eval-c' : 'eval-d');
    assert.equal(failed.attempt, 1);
    const dead = await until('job_dead_lettered', () =>
      survivor.records.find((r) => r.event === 'job_dead_lettered'),
    );
    assert.equal(dead.reason, 'MAX_DELIVERIES');
    assert.equal((await jsm.streams.info(scoreJobsStream(RUN))).state.messages, 0, 'removed from the queue');
    const all = await results();
    assert.equal(all.length, 11);
    assert.equal(byId(all).size, 11);
    assert.equal(await survivor.stop('SIGTERM'), 0, survivor.stderr());
    assert.equal(survivor.stderr(), '');
  });

  test('window 7: a score job measures the update clipped to its references; another model is WRONG_MODEL', async () => {
    const [SCALED, BAD_REFS, OTHER_MODEL, BAD_SEED] = [7, 8, 9, 10].map(miner) as [
      HotkeyPair,
      HotkeyPair,
      HotkeyPair,
      HotkeyPair,
    ];
    assert.equal(await engine.stateFingerprint(), theta.get(7));
    const e = startEvaluator('eval-e');
    await e.waitForEvent('evaluator_ready', 60_000);
    const scaledPages = pagesOf(SCALED, 7);
    const update = await makeUpdate(SCALED, 7, scaledPages);
    await putUpdate(7, SCALED, update);
    await putUpdate(7, BAD_REFS, await makeUpdate(BAD_REFS, 7, pagesOf(BAD_REFS, 7)));
    await store.put(updateKey(RUN, 7, ss58(BAD_SEED)), await makeUpdate(BAD_SEED, 7, pagesOf(BAD_SEED, 7)));
    const decoded = await decodeUpdate(update, { tensors: true });
    assert.ok(decoded.ok && decoded.tensors);
    assert.equal(hex(engine.info().modelFingerprint), hex(decoded.summary.modelFingerprint));
    const norms = decoded.tensors.map((t) => Math.sqrt(t.values.reduce((a, v) => a + v * v, 0)));

    // The sample job answers the per-tensor norms the validator's references are made of.
    await publishJob(7, SCALED, 7, undefined, { kind: JobKind.SAMPLE });
    const sampled = await until('the sample result', () =>
      results().then((all) => byId(all).get(`${resultId(7, SCALED)}/sample`)),
    );
    assert.equal(sampled.fault, '', sampled.detail);
    assert.deepEqual(sampled.tensorNorms, norms);

    // What the update clipped to half its norms does to θ_7, measured here; and unclipped.
    const refs = norms.map((n) => n / 2);
    const { assigned, control } = evalPagesOf(SCALED, 7);
    const header = {
      runId: RUN,
      window: 7,
      hotkey: AGGREGATOR.publicKey,
      stateFingerprint: Buffer.from(theta.get(7) ?? '', 'hex'),
    };
    const measure = async (options: { clipTo?: number[] }) => {
      const single = await aggregateUpdates([update], header, options);
      signObject(single.bytes, AGGREGATOR);
      await engine.snapshot();
      await engine.applyAggregate(single.bytes, EVAL_ALPHA, { runId: RUN, window: 7 });
      const after = {
        assigned: await engine.evalLoss(dataset, 'train', assigned, EVAL_MICRO_BATCH),
        random: await engine.evalLoss(dataset, 'train', control, EVAL_MICRO_BATCH),
      };
      await engine.pseudoGradient();
      return after;
    };
    const clipped = await measure({ clipTo: refs });
    const unclipped = await measure({});
    assert.equal(await engine.stateFingerprint(), theta.get(7));
    assert.notEqual(clipped.assigned, unclipped.assigned, 'the clip changes what is measured');

    await publishJob(7, SCALED, 7, undefined, { clipNorms: refs });
    const scored = await resultFor(7, SCALED);
    assert.equal(scored.fault, '', `${scored.fault}: ${scored.detail}`);
    assert.deepEqual(
      { assigned: scored.lossAssignedAfter, random: scored.lossRandomAfter },
      clipped,
      'the evaluator measured the clipped update',
    );
    assert.equal(scored.clipFactorMin, smallestClipFactor(norms, refs));
    assert.ok(
      Math.abs((scored.clipFactorMin ?? Number.NaN) - 0.5) < 1e-6,
      `clip factor ${scored.clipFactorMin}`,
    );
    assert.deepEqual(scored.tensorNorms, norms);

    // References that do not fit the payload are the job's fault, not the miner's.
    await publishJob(7, BAD_REFS, 8, undefined, { clipNorms: refs.slice(1) });
    const badRefs = await resultFor(7, BAD_REFS);
    assert.equal(badRefs.fault, 'EVALUATOR_FAILED');
    assert.match(badRefs.detail, /^BAD_JOB: .*clip references/);
    // So is an evaluation seed that is not 32 bytes (ADR 0025).
    await publishJob(7, BAD_SEED, 10, undefined, { evaluationSeed: new Uint8Array(5) });
    const badSeed = await resultFor(7, BAD_SEED);
    assert.equal(badSeed.fault, 'EVALUATOR_FAILED');
    assert.match(badSeed.detail, /^BAD_JOB: .*evaluation seed has 5 bytes/);

    // A well-formed, signed, in-sync payload of another model: INVALID before any measurement.
    const foreign = await foreignModelUpdate(RUN, 7, OTHER_MODEL, Buffer.from(theta.get(7) ?? '', 'hex'));
    await store.put(updateKey(RUN, 7, ss58(OTHER_MODEL)), foreign);
    await publishJob(7, OTHER_MODEL, 9);
    const wrongModel = await resultFor(7, OTHER_MODEL);
    assert.deepEqual([wrongModel.fault, wrongModel.rejectionReason], ['INVALID', 'WRONG_MODEL']);

    assert.equal((await results()).length, 16, "one more: the bad seed's answer");
    // Operators see how far above the window's medians the scored updates were.
    const metrics = await metricsOf(e);
    const bucket = (le: string): number =>
      Number(metricValue(metrics, 'cohort_evaluator_clip_factor_bucket', { le }));
    assert.deepEqual(
      [bucket('0.25'), bucket('0.5'), bucket('1')],
      [0, 1, 1],
      'one score, clipped to about ½',
    );
    assert.equal(await e.stop('SIGTERM'), 0, e.stderr());
    assert.equal(e.stderr(), '');
  });
});
