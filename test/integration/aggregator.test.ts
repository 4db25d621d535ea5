/**
 * The minimal aggregator binary against a real nats-server and a real checkpoint-store process, on the
 * CPU with the devnet preset and Brown. The test publishes the WindowEvents itself: it stands in for the
 * chain-bridge here (the full chain path is the window-loop test's). Miners' updates are made in this
 * process (engine training + encode + sign, as a gpu-worker does) and put into the store.
 *
 * One run, window by window: genesis checkpoint at the first window; A_5 from two valid updates while a
 * payload signed by the wrong key and garbage are excluded with their reasons; an in-process replica
 * applying A_5 reaches the logged fingerprint, VerifyAggregate re-derives it bit for bit, and a second
 * replica applying the aggregate it derived itself from the payloads reaches the same θ_6; copies of A_5
 * with one value, one index or one contributor changed are refused — by the engine's digest check when
 * merely altered, by the signature when re-hashed, as untrusted when re-signed by another key, and, when
 * the aggregator itself signed them, by the selection (contributor) or the re-derivation (value, index);
 * a miner (a real gpu-worker and coordinator) auditing every window refuses the aggregator-signed copy
 * with one value altered (DERIVATION_MISMATCH, never applied) and applies the real A_5 once it is back;
 * an empty window and a window of only invalid updates
 * publish no aggregate but a checkpoint; an update from a stale state is excluded (WRONG_STATE); a
 * restart restores from the checkpoint and replays A_8; a LATEST naming a corrupt checkpoint falls back
 * to the previous one; the restarted aggregator carries on.
 *
 * Every aggregator here aggregates through a real compressor process (`compressorAddress`, ADR 0014):
 * VerifyAggregate, which re-derives A_w in the aggregator's own process with the engine, matching the
 * published aggregate bit for bit shows both paths give the same bytes. Last, the compressor is stopped:
 * the window fails (COMPRESSOR_UNAVAILABLE, logged and counted) with nothing published, and is aggregated
 * once the compressor is back.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import {
  AggregateRefused,
  Code,
  CohortError,
  blake2b256,
  checkAggregate,
  checkpointKeys,
  dataReceipt,
  encodeCheckpointManifest,
  encodeLatest,
  encodeSs58,
  hotkeyFromSeed,
  latestKey,
  aggregateKey,
  parseCheckpointManifest,
  parseLatest,
  runSubjects,
  encodeSelection,
  parseSelection,
  readAggregateEnvelope,
  selectionKey,
  updateKey,
} from '@cohort/core';
import { Replica, loadCheckpoint, verifyAggregate } from '@cohort/replica';
import type { HotkeyPair } from '@cohort/core';
import { StoreClient, createServiceClient, createTransport } from '@cohort/kit';
import type { ServiceClient, Transport } from '@cohort/kit';
import {
  aggregateUpdates,
  createEngine,
  decodeAggregate,
  objectDigest,
  openDataset,
  signObject,
} from '@cohort/native';
import type { Dataset, Engine } from '@cohort/native';
import { AggregatorService } from '@cohort/proto/cohort/aggregator/v1/aggregator';
import { GpuWorkerService } from '@cohort/proto/cohort/worker/v1/gpu_worker';
import { WindowEventSchema } from '@cohort/proto/cohort/events/v1/events';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { brownDataset, foreignModelUpdate, spawnService, startNatsServer } from '../harness/index.js';
import type { LogRecord, NatsServer, ServiceProcess } from '../harness/index.js';

const RUN = 'aggregator-test';
const AGGREGATOR_SEED_HEX = 'ee'.repeat(32);
const AGGREGATOR = hotkeyFromSeed(Uint8Array.from(Buffer.from(AGGREGATOR_SEED_HEX, 'hex')));
const miner = (n: number): HotkeyPair => hotkeyFromSeed(new Uint8Array(32).fill(0x10 + n));
const [M1, M2, M3, M4] = [miner(1), miner(2), miner(3), miner(4)] as [
  HotkeyPair,
  HotkeyPair,
  HotkeyPair,
  HotkeyPair,
];
const ss58 = (pair: HotkeyPair): string => encodeSs58(pair.publicKey);
const SLOT_MS = 1500;
const STEPS = 2;
const TRAINER = { lr: 3e-3, warmupSteps: 2, totalSteps: 100, microBatchSize: 2 };
const GARBAGE = new TextEncoder().encode('not an update object at all, just bytes '.repeat(8));

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The first record of `event` that satisfies `match` (already logged or future). */
async function waitFor(
  proc: ServiceProcess,
  event: string,
  match: (r: LogRecord) => boolean = () => true,
  timeoutMs = 30_000,
): Promise<LogRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = proc.records.find((r) => r.event === event && match(r));
    if (found) return found;
    if (proc.child.exitCode !== null)
      throw new Error(`aggregator exited before "${event}": ${proc.stderr()}`);
    if (Date.now() > deadline) {
      const events = proc.records.map((r) => r.event).join(', ');
      throw new Error(
        `no matching "${event}" within ${timeoutMs} ms; events: ${events}; stderr: ${proc.stderr()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const atWindow = (window: number) => (r: LogRecord) => r.window === window;

/**
 * Offsets in an aggregate of its first tensor's first value (raw, or the palette's first) and first index
 * byte (docs/wire-format.md §4, §5, §7: header, contributors, tensor table, then per tensor n, b, value
 * coding, exp-Golomb order, reserved, L, the value section, indices).
 */
function bodyOffsets(object: Uint8Array): { valueAt: number; indexAt: number } {
  const view = new DataView(object.buffer, object.byteOffset, object.byteLength);
  let at = 196 + 64 * view.getUint32(192, true);
  const tensors = view.getUint32(at, true);
  at += 4;
  for (let t = 0; t < tensors; t++) {
    at += 2 + view.getUint16(at, true) + 1; // name length, name, dtype
    at += 1 + 4 * object[at]!; // rank, dims
  }
  const n = view.getUint32(at, true);
  assert.ok(n > 0, 'the first tensor has entries');
  if (object[at + 5] === 0) return { valueAt: at + 12, indexAt: at + 12 + 4 * n }; // raw fp32 values
  // A palette (docs/wire-format.md §7): its size, its values, the rank stream's length and the stream.
  const unique = view.getUint32(at + 12, true);
  const streamAt = at + 16 + 4 * unique;
  return { valueAt: at + 16, indexAt: streamAt + 4 + view.getUint32(streamAt, true) };
}

const CLI = fileURLToPath(new URL('../../../services/cli/dist/main.js', import.meta.url));

/** Run the `cohort` command line; its exit code and output. */
function cohort(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The object with its trailer digest recomputed, named and signed by `signer` (or with its old signature). */
function reseal(object: Uint8Array, signer?: HotkeyPair): Uint8Array {
  const copy = Uint8Array.from(object);
  if (signer !== undefined) copy.set(signer.publicKey, 56); // the header names the signer
  copy.set(blake2b256(copy.subarray(0, copy.length - 96)), copy.length - 96);
  if (signer !== undefined) signObject(copy, signer);
  return copy;
}

describe('aggregator (devnet, CPU, real NATS and checkpoint-store)', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let storeProc: ServiceProcess;
  let store: StoreClient;
  let storeAddress: string;
  let compressorProc: ServiceProcess;
  let compressorAddress: string;
  let stateDir: string;
  let fsRoot: string;
  let dataset: Dataset;
  let engine: Engine;
  let agg: ServiceProcess;
  let transport: Transport | undefined;
  let client: ServiceClient<typeof AggregatorService>;
  const procs: ServiceProcess[] = [];
  /** θ fingerprints the in-process replica went through, by window. */
  const theta = new Map<number, string>();
  /** An update of window 8 computed from θ_5 (stale by the time window 8 is aggregated). */
  let staleUpdate: Uint8Array;
  /** Window 5's valid updates, for the selection the trust checks compare against. */
  const updates5 = new Map<string, Uint8Array>();
  const selected5 = () =>
    [M1, M2].map((m, i) => ({
      uid: i + 1,
      hotkey: ss58(m),
      payloadBlake2b256: '00'.repeat(32),
      payloadDigest: hex(objectDigest(updates5.get(ss58(m))!)),
    }));

  async function startAggregator(extraEnv: Record<string, string> = {}): Promise<ServiceProcess> {
    transport?.close();
    const proc = spawnService('aggregator', {
      env: {
        COHORT_RUN_ID: RUN,
        COHORT_NATS_URL: nats.url,
        COHORT_STORE_ADDRESS: storeAddress,
        COHORT_PRESET: 'devnet',
        COHORT_SEED: '0',
        COHORT_DEVICE: 'cpu',
        COHORT_THREADS: '1',
        COHORT_HOTKEY_SEED: AGGREGATOR_SEED_HEX,
        COHORT_OUTER_LEARNING_RATE: '1',
        COHORT_UPLOAD_SLOT_MS: String(SLOT_MS),
        COHORT_CHECKPOINT_EVERY_WINDOWS: '10',
        COHORT_STATE_DIR: stateDir,
        COHORT_COMPRESSOR_ADDRESS: compressorAddress,
        ...extraEnv,
      },
    });
    procs.push(proc);
    const ports = await proc.ports(60_000);
    await proc.waitForEvent('service_serving', 60_000);
    transport = createTransport(`127.0.0.1:${ports.grpc}`);
    client = createServiceClient(AggregatorService, transport);
    return proc;
  }

  /** A compressor process on `port` ('0': any free one). */
  async function startCompressor(port: string): Promise<ServiceProcess> {
    const proc = spawnService('compressor', { env: { COHORT_GRPC_PORT: port } });
    procs.push(proc);
    await proc.ports(60_000);
    await proc.waitForEvent('service_serving', 60_000);
    return proc;
  }

  /** The value of one series of `proc`'s metrics (0 when absent). */
  async function metricOf(proc: ServiceProcess, name: string, label: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${(await proc.ports()).metrics}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(label));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  async function publishWindow(window: number): Promise<void> {
    const event = create(WindowEventSchema, {
      window: BigInt(window),
      firstBlock: BigInt(window * 10),
      startedUnixMs: BigInt(Date.now()),
    });
    nc.publish(runSubjects(RUN).window, toBinary(WindowEventSchema, event));
    await nc.flush();
  }

  /** A miner's signed update of `window` trained from the engine's current state (θ comes back after). */
  async function makeUpdate(
    pair: HotkeyPair,
    window: number,
    first: number,
    signer = pair,
  ): Promise<Uint8Array> {
    const ids = Uint32Array.from({ length: STEPS * 2 }, (_, i) => first + i);
    await engine.snapshot();
    await engine.trainInner(dataset, 'train', ids, STEPS);
    const receipt = dataReceipt([...dataset.sampleIds('train', ids)]);
    const update = await engine.encodeUpdate({
      runId: RUN,
      window,
      hotkey: pair.publicKey,
      dataReceipt: receipt,
    });
    signObject(update.bytes, signer);
    return update.bytes;
  }

  const putUpdate = (window: number, pair: HotkeyPair, bytes: Uint8Array) =>
    store.put(updateKey(RUN, window, ss58(pair)), bytes);

  async function manifestOf(window: number) {
    const stored = await store.get(checkpointKeys(RUN, window).manifest);
    assert.ok(stored, `checkpoint ${window} has a manifest`);
    return parseCheckpointManifest(stored.bytes, { runId: RUN, window });
  }

  async function latest(): Promise<number> {
    const stored = await store.get(latestKey(RUN));
    assert.ok(stored);
    return parseLatest(stored.bytes).window;
  }

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    fsRoot = mkdtempSync(join(tmpdir(), 'cohort-agg-store-'));
    stateDir = mkdtempSync(join(tmpdir(), 'cohort-agg-state-'));
    storeProc = spawnService('checkpoint-store', { env: { COHORT_FS_ROOT: fsRoot } });
    procs.push(storeProc);
    storeAddress = `127.0.0.1:${(await storeProc.ports()).grpc}`;
    await storeProc.waitForEvent('service_serving');
    store = new StoreClient(storeAddress);
    compressorProc = await startCompressor('0');
    compressorAddress = `127.0.0.1:${(await compressorProc.ports()).grpc}`;
    dataset = await openDataset((await brownDataset()).manifestPath);
    engine = await createEngine({ preset: 'devnet', seed: 0, threads: 1, trainer: TRAINER });
  });

  after(async () => {
    transport?.close();
    store.close();
    for (const p of procs)
      if (p.child.exitCode === null && p.child.signalCode === null) await p.stop('SIGKILL');
    await nc.close();
    await nats.dispose();
    await engine.dispose();
    dataset.close();
    rmSync(fsRoot, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('no checkpoint: the first window event publishes the seeded state as genesis', async () => {
    agg = await startAggregator();
    await agg.waitForEvent('aggregator_genesis_pending');
    const status0 = await client.getStatus({});
    assert.equal(status0.lastCheckpointWindow, -1n);
    await publishWindow(5);
    const restored = await waitFor(agg, 'aggregator_restored');
    theta.set(5, await engine.stateFingerprint());
    assert.deepEqual(
      { window: restored.window, from: restored.from, fingerprint: restored.fingerprint },
      { window: 5, from: 'genesis', fingerprint: theta.get(5) },
    );
    const published = await waitFor(agg, 'checkpoint_published', atWindow(5));
    assert.equal(published.stateFingerprint, theta.get(5));
    const manifest = await manifestOf(5);
    assert.equal(manifest.stateFingerprint, theta.get(5));
    assert.equal(manifest.preset, 'devnet');
    const model = await store.head(checkpointKeys(RUN, 5).model);
    assert.equal(hex(model?.blake2b256), manifest.model.blake2b256);
    assert.equal(await latest(), 5);
    const status = await client.getStatus({});
    assert.equal(status.lastCheckpointWindow, 5n);
    assert.equal(status.lastAggregatedWindow, -1n);
  });

  test('A_5: valid updates aggregated, wrong signer and garbage excluded with their reasons', async () => {
    const u1 = await makeUpdate(M1, 5, 0);
    const u2 = await makeUpdate(M2, 5, 8);
    const forged = await makeUpdate(M3, 5, 16, M4); // names M3, signed by M4
    staleUpdate = await makeUpdate(M3, 8, 24); // from θ_5, for window 8
    assert.equal(await engine.stateFingerprint(), theta.get(5), 'encoding puts θ back');
    await putUpdate(5, M1, u1);
    await putUpdate(5, M2, u2);
    updates5.set(ss58(M1), u1);
    updates5.set(ss58(M2), u2);
    await putUpdate(5, M3, forged);
    await putUpdate(5, M4, GARBAGE);
    const sent = Date.now();
    await publishWindow(6);

    const record = await waitFor(agg, 'aggregate_published', atWindow(5));
    assert.ok(Date.now() - sent >= SLOT_MS, 'the aggregate waited for the upload slot');
    const valid = [ss58(M1), ss58(M2)].sort(byString);
    assert.deepEqual(record.included, valid);
    const excluded = (record.excluded as { hotkey: string; reason: string }[]).map(({ hotkey, reason }) => ({
      hotkey,
      reason,
    }));
    assert.deepEqual(
      excluded,
      [
        { hotkey: ss58(M3), reason: 'BAD_SIGNATURE' },
        { hotkey: ss58(M4), reason: 'BAD_MAGIC' },
      ].sort((a, b) => byString(a.hotkey, b.hotkey)),
    );
    assert.equal(record.stateFingerprintBefore, theta.get(5));
    // Aggregated by the compressor process, not in the aggregator's.
    assert.equal(record.aggregatedBy, 'compressor');
    const starting = await waitFor(agg, 'aggregator_starting');
    assert.deepEqual([starting.aggregation, starting.compressor], ['compressor', compressorAddress]);
    assert.ok(
      compressorProc.records.some((r) => r.event === 'aggregate_built' && r.window === '5'),
      'the compressor built A_5',
    );
    assert.equal(await metricOf(agg, 'cohort_aggregator_compressor_calls_total', 'result="ok"'), 1);

    const stored = await store.get(aggregateKey(RUN, 5));
    assert.ok(stored);
    assert.equal(record.bytes, stored.bytes.length);
    const decoded = await decodeAggregate(stored.bytes, {
      expect: { runId: RUN, window: 5n, hotkey: AGGREGATOR.publicKey },
    });
    assert.ok(decoded.ok, decoded.ok ? '' : `${decoded.reason}: ${decoded.detail}`);
    assert.equal(hex(decoded.summary.stateFingerprint), theta.get(5));
    const digestOf = new Map([
      [ss58(M1), hex(objectDigest(u1))],
      [ss58(M2), hex(objectDigest(u2))],
    ]);
    assert.deepEqual(
      decoded.contributors.map((c) => [encodeSs58(c.hotkey), hex(c.payloadHash)]),
      valid.map((h) => [h, digestOf.get(h)]),
    );

    // Any replica applying A_5 to θ_5 reaches the aggregator's θ_6.
    await engine.applyAggregate(stored.bytes, 1, {
      runId: RUN,
      window: 5,
      stateFingerprint: Buffer.from(theta.get(5) ?? '', 'hex'),
    });
    theta.set(6, await engine.stateFingerprint());
    assert.notEqual(theta.get(6), theta.get(5));
    assert.equal(record.stateFingerprintAfter, theta.get(6));

    const answer = await client.getAggregate({ window: 5n });
    assert.equal(answer.key, aggregateKey(RUN, 5));
    assert.equal(answer.sizeBytes, BigInt(stored.bytes.length));
    assert.equal(hex(answer.blake2b256), hex(stored.info.blake2b256));
    assert.deepEqual(
      answer.contributors.map((c) => [c.hotkey, hex(c.payloadBlake2b256)]),
      valid.map((h) => [h, digestOf.get(h)]),
    );
    assert.equal((await client.getStatus({})).lastAggregatedWindow, 5n);
    await assert.rejects(
      client.getAggregate({ window: 4n }),
      (e) => e instanceof CohortError && e.code === Code.NotFound,
    );
    const verified = await client.verifyAggregate({ window: 5n });
    assert.deepEqual(
      { matches: verified.matches, reason: verified.reasonCode },
      { matches: true, reason: '' },
      verified.detail,
    );
  });

  test('A_5 re-derived from its payloads: the same θ_6; tampered copies refused by every check with their reason', async () => {
    const stored = await store.get(aggregateKey(RUN, 5));
    assert.ok(stored);
    const published = stored.bytes;
    // A replica that derives A_5 itself from the payloads (as `cohort verify-aggregate` does) and applies it.
    const outcome = await verifyAggregate({ runId: RUN, store }, 5);
    assert.equal(outcome.matches, true, outcome.detail);
    assert.ok(outcome.derived);
    assert.equal(outcome.contributors, 2);
    const own = await Replica.create(
      await createEngine({ preset: 'devnet', seed: 1, threads: 1, trainer: TRAINER }),
      RUN,
      1,
    );
    try {
      await loadCheckpoint({ runId: RUN, store, preset: 'devnet', scratchDir: stateDir }, own, 5);
      assert.equal(own.fingerprint, theta.get(5));
      await own.apply(outcome.derived);
      assert.equal(own.fingerprint, theta.get(6), 'the payloads and the aggregate give the same θ_6');
      // A_5 as an aggregator before wire-format version 2 would have published it (raw fp32 values, so
      // larger): the audit re-derives it as version 1 and it matches; applied, it gives the same θ_6.
      const envelope = readAggregateEnvelope(published);
      assert.equal(envelope.formatVersion, 2);
      const payloads = await Promise.all(
        envelope.contributors.map(async (c) => (await store.get(updateKey(RUN, 5, c.hotkey)))!.bytes),
      );
      const v1 = await aggregateUpdates(
        payloads,
        {
          runId: RUN,
          window: 5n,
          hotkey: AGGREGATOR.publicKey,
          stateFingerprint: Buffer.from(envelope.stateFingerprint, 'hex'),
        },
        { formatVersion: 1 },
      );
      signObject(v1.bytes, AGGREGATOR);
      assert.equal(v1.bytes[5], 1);
      assert.ok(
        v1.bytes.length > published.length,
        `${v1.bytes.length} raw vs ${published.length} palette bytes`,
      );
      const audit1 = await verifyAggregate({ runId: RUN, store }, 5, { aggregate: v1.bytes });
      assert.equal(audit1.matches, true, audit1.detail);
      await loadCheckpoint({ runId: RUN, store, preset: 'devnet', scratchDir: stateDir }, own, 5);
      await own.apply(v1.bytes);
      assert.equal(own.fingerprint, theta.get(6), 'the version 1 aggregate gives the same θ_6');
      // The same audit from the command line, trusting the right and then the wrong aggregator.
      const cli = (aggregator: string) =>
        cohort(['verify-aggregate', '5', '--store', storeAddress, '--run', RUN, '--aggregator', aggregator]);
      const ok = await cli(ss58(AGGREGATOR));
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /OK: re-derived bit for bit from 2 payloads/);
      const wrong = await cli(ss58(M4));
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /\[AGGREGATOR_UNTRUSTED\]/);

      // Tampered copies of A_5: one value, one index, one contributor.
      const { valueAt, indexAt } = bodyOffsets(published);
      const flip = (at: number): Uint8Array => {
        const copy = Uint8Array.from(published);
        copy[at]! ^= 0x01;
        return copy;
      };
      const otherContributor = Uint8Array.from(published);
      otherContributor.set(M3.publicKey, 196); // the first listed contributor becomes M3
      const tampered = { value: flip(valueAt), index: flip(indexAt), contributor: otherContributor };
      const trust = { aggregator: ss58(AGGREGATOR), selectionValidator: ss58(miner(9)) };
      const selection = parseSelection(
        encodeSelection({
          runId: RUN,
          window: 5,
          validator: ss58(miner(9)),
          contributors: selected5(),
        }),
      );
      const expect = { runId: RUN, window: 5, stateFingerprint: theta.get(5)! };
      const refusedWith = (reason: string) => (e: unknown) =>
        e instanceof AggregateRefused && e.reason === reason;
      for (const [what, bytes] of Object.entries(tampered)) {
        // Changed in the bucket or on the way: the engine of every replica refuses it (its digest).
        await assert.rejects(
          own.engine.applyAggregate(bytes, 1, {
            runId: RUN,
            window: 5,
            stateFingerprint: Buffer.from(theta.get(5)!, 'hex'),
          }),
          (e) => e instanceof CohortError && /BAD_HASH/.test(`${e.reason} ${e.message}`),
          what,
        );
        assert.equal(own.fingerprint, theta.get(6));
        // Re-hashed by someone without the aggregator's key: the signature fails.
        assert.throws(
          () => checkAggregate(reseal(bytes), expect, trust, selection),
          refusedWith('BAD_SIGNATURE'),
          what,
        );
        // Re-signed by another key: not the run's aggregator.
        assert.throws(
          () => checkAggregate(reseal(bytes, M4), expect, trust, selection),
          refusedWith('AGGREGATOR_UNTRUSTED'),
          what,
        );
        // Signed by the aggregator itself: the selection catches a contributor, the re-derivation the rest.
        const signed = reseal(bytes, AGGREGATOR);
        if (what === 'contributor') {
          assert.throws(
            () => checkAggregate(signed, expect, trust, selection),
            refusedWith('CONTRIBUTOR_NOT_SELECTED'),
          );
        } else {
          assert.equal(checkAggregate(signed, expect, trust, selection).window, 5);
        }
        const audit = await verifyAggregate({ runId: RUN, store }, 5, { aggregate: signed });
        assert.equal(audit.matches, false, what);
        assert.equal(
          audit.reason,
          what === 'contributor' ? 'PAYLOAD_MISMATCH' : 'DERIVATION_MISMATCH',
          audit.detail,
        );
      }
    } finally {
      await own.engine.dispose();
    }
  });

  test('a miner auditing every window (auditRate 1) refuses A_5 with one value altered and signed by the aggregator, and applies the real one', async () => {
    const key = aggregateKey(RUN, 5);
    const stored = await store.get(key);
    assert.ok(stored);
    const published = stored.bytes;
    const altered = Uint8Array.from(published);
    altered[bodyOffsets(published).valueAt]! ^= 0x01;
    // Aggregates are write-once in the store: replace the object as the aggregator's operator could.
    const replace = async (bytes: Uint8Array) => {
      await store.raw.delete({ key });
      await store.put(key, bytes);
    };
    await replace(reseal(altered, AGGREGATOR)); // passes every trust check; only an audit sees it
    // The miner has a nats-server of its own: its window events do not reach the aggregator.
    const minerNats = await startNatsServer();
    const minerNc = await connect({ servers: minerNats.url });
    const worker = spawnService('gpu-worker', {
      env: {
        COHORT_RUN_ID: RUN,
        COHORT_PRESET: 'devnet',
        COHORT_SEED: '0',
        COHORT_DEVICE: 'cpu',
        COHORT_THREADS: '1',
        COHORT_DATASET_MANIFEST: (await brownDataset()).manifestPath,
        COHORT_EF_STATE_DIR: mkdtempSync(join(tmpdir(), 'cohort-agg-ef-')),
        COHORT_STORE_ADDRESS: storeAddress,
        COHORT_HOTKEY_SEED: '15'.repeat(32),
      },
    });
    procs.push(worker);
    let workerTransport: Transport | undefined;
    try {
      const workerPorts = await worker.ports(60_000);
      await worker.waitForEvent('service_serving', 60_000);
      const coordinator = spawnService('coordinator', {
        env: {
          COHORT_RUN_ID: RUN,
          COHORT_NATS_URL: minerNats.url,
          COHORT_ROLES: 'miner',
          COHORT_LEADER_ELECTION: 'off',
          COHORT_WORKER_ADDRESS: `127.0.0.1:${workerPorts.grpc}`,
          COHORT_STORE_ADDRESS: storeAddress,
          COHORT_HOTKEY_ADDRESS: ss58(miner(5)),
          COHORT_INNER_STEPS: String(STEPS),
          COHORT_BATCH_SIZE: '2',
          COHORT_OUTER_LEARNING_RATE: '1',
          COHORT_AGGREGATE_POLL_MS: '200',
          COHORT_RESYNC_RETRY_MS: '500',
          COHORT_AGGREGATOR_HOTKEY: ss58(AGGREGATOR),
          COHORT_AUDIT_RATE: '1',
        },
      });
      procs.push(coordinator);
      const metricsPort = (await coordinator.ports(60_000)).metrics;
      await coordinator.waitForEvent('service_serving', 60_000);
      const metric = async (name: string, label: string): Promise<number> => {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        const line = text.split('\n').find((l) => l.startsWith(`${name}{${label}`));
        return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
      };
      // Chain window 6 with checkpoint 5 the newest: the miner joins from θ_5 and must apply A_5.
      const window6 = toBinary(
        WindowEventSchema,
        create(WindowEventSchema, { window: 6n, firstBlock: 60n, startedUnixMs: BigInt(Date.now()) }),
      );
      const ticker = setInterval(() => minerNc.publish(runSubjects(RUN).window, window6), 500);
      try {
        const refused = await waitFor(coordinator, 'aggregate_refused', atWindow(5), 60_000);
        assert.equal(refused.reason, 'DERIVATION_MISMATCH', String(refused.detail));
        const verified = await waitFor(worker, 'aggregate_verified', atWindow(5));
        assert.equal(verified.matches, false);
        // The wait path refuses it too (counted once per window) without downloading the payloads again.
        await waitFor(coordinator, 'aggregate_refused', (r) => r !== refused && r.window === 5);
        assert.equal(
          await metric('cohort_miner_aggregates_refused_total', 'reason="DERIVATION_MISMATCH"'),
          1,
        );
        assert.equal(await metric('cohort_miner_aggregate_audits_total', 'result="refused"'), 1);
        assert.equal(worker.records.filter((r) => r.event === 'aggregate_verified').length, 1);
        assert.ok(!coordinator.records.some((r) => r.event === 'aggregate_applied'), 'never applied');
        workerTransport = createTransport(`127.0.0.1:${workerPorts.grpc}`);
        const workerClient = createServiceClient(GpuWorkerService, workerTransport);
        // A load pinned to other manifest bytes than the store holds (changed after the coordinator
        // checked it) is refused before anything is downloaded; a malformed pin is the caller's fault.
        const manifestKey = checkpointKeys(RUN, 5).manifest;
        await assert.rejects(
          workerClient.loadCheckpoint({
            key: manifestKey,
            window: 5n,
            manifestBlake2b256: new Uint8Array(32),
          }),
          (e) =>
            e instanceof CohortError &&
            e.reason === 'CHECKPOINT_CORRUPT' &&
            /MANIFEST_CHANGED/.test(e.message),
        );
        await assert.rejects(
          workerClient.loadCheckpoint({
            key: manifestKey,
            window: 5n,
            manifestBlake2b256: new Uint8Array(5),
          }),
          (e) => e instanceof CohortError && e.reason === 'BAD_CHECKPOINT_PIN',
        );
        const info = await workerClient.getInfo({});
        assert.equal(info.stateWindow, 5n, 'the worker stays at θ_5');

        // The aggregator's real A_5 (a new object for window 5): audited afresh, passed, applied.
        await replace(published);
        const applied = await waitFor(coordinator, 'aggregate_applied', atWindow(5), 30_000);
        assert.equal(applied.stateFingerprint, theta.get(6));
        const audited = coordinator.records.filter((r) => r.event === 'aggregate_audited');
        assert.deepEqual(
          audited.map((r) => [r.window, r.result]),
          [
            [5, 'refused'],
            [5, 'passed'],
          ],
        );
        assert.equal(await metric('cohort_miner_aggregate_audits_total', 'result="passed"'), 1);
      } finally {
        clearInterval(ticker);
        await coordinator.stop('SIGTERM');
      }
    } finally {
      workerTransport?.close();
      if (hex((await store.get(key))?.bytes) !== hex(published)) await replace(published);
      await worker.stop('SIGTERM');
      await minerNc.close();
      await minerNats.dispose();
    }
  });

  test('an empty window and a window of only invalid updates: no aggregate, a checkpoint each', async () => {
    await publishWindow(7);
    const empty = await waitFor(agg, 'aggregate_skipped', atWindow(6));
    assert.equal(empty.reason, 'NO_UPDATES');
    const cp7 = await waitFor(agg, 'checkpoint_published', atWindow(7));
    assert.equal(cp7.stateFingerprint, theta.get(6));
    const m7 = await manifestOf(7);
    assert.equal(m7.stateFingerprint, theta.get(6));
    const a5 = await store.head(aggregateKey(RUN, 5));
    assert.deepEqual(
      m7.lineage,
      {
        previous: 5,
        outerSteps: 1,
        aggregates: [{ window: 5, sizeBytes: Number(a5?.sizeBytes), blake2b256: hex(a5?.blake2b256) }],
      },
      'checkpoint 7 came from checkpoint 5 by A_5 (window 6 carried over)',
    );
    assert.deepEqual(
      (await manifestOf(5)).lineage,
      { previous: null, outerSteps: 0, aggregates: [] },
      'genesis',
    );
    assert.equal(await store.head(aggregateKey(RUN, 6)), undefined);

    await putUpdate(7, M1, GARBAGE);
    // Well-formed, signed, of θ_7 — but encoded for another model: alone in its window it would be the
    // majority model, and an aggregate of it could be published that no replica can apply.
    const foreign = await foreignModelUpdate(RUN, 7, M2, Buffer.from(theta.get(6) ?? '', 'hex'));
    await putUpdate(7, M2, foreign);
    await publishWindow(8);
    const invalid = await waitFor(agg, 'aggregate_skipped', atWindow(7));
    assert.equal(invalid.reason, 'NO_VALID_UPDATES');
    assert.deepEqual(
      (invalid.excluded as { hotkey: string; reason: string }[]).map((e) => [e.hotkey, e.reason]),
      [
        [ss58(M1), 'BAD_MAGIC'],
        [ss58(M2), 'WRONG_MODEL'],
      ].sort((a, b) => byString(a[0]!, b[0]!)),
    );
    assert.equal(await store.head(aggregateKey(RUN, 7)), undefined, 'nothing published for window 7');
    const cp8 = await waitFor(agg, 'checkpoint_published', atWindow(8));
    assert.equal(cp8.stateFingerprint, theta.get(6));
    assert.equal((await manifestOf(8)).stateFingerprint, theta.get(6));
    assert.equal(await latest(), 8);
  });

  test('A_8: an update computed from a stale state is excluded (WRONG_STATE)', async () => {
    theta.set(8, theta.get(6) ?? '');
    const u1 = await makeUpdate(M1, 8, 32);
    await putUpdate(8, M1, u1);
    await putUpdate(8, M3, staleUpdate);
    await publishWindow(9);
    const record = await waitFor(agg, 'aggregate_published', atWindow(8));
    assert.deepEqual(record.included, [ss58(M1)]);
    assert.deepEqual(
      (record.excluded as { hotkey: string; reason: string }[]).map((e) => [e.hotkey, e.reason]),
      [[ss58(M3), 'WRONG_STATE']],
    );
    const stored = await store.get(aggregateKey(RUN, 8));
    assert.ok(stored);
    await engine.applyAggregate(stored.bytes, 1, {
      runId: RUN,
      window: 8,
      stateFingerprint: Buffer.from(theta.get(8) ?? '', 'hex'),
    });
    theta.set(9, await engine.stateFingerprint());
    assert.equal(record.stateFingerprintAfter, theta.get(9));

    const ports = await agg.ports();
    const metrics = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
    const line = (name: string, labels: string, value: number): RegExp =>
      new RegExp(`cohort_aggregator_${name}\\{[^}]*${labels}[^}]*\\} ${value}\n`);
    assert.match(metrics, line('windows_total', 'result="aggregated"', 2));
    assert.match(metrics, line('windows_total', 'result="skipped",reason="NO_UPDATES"', 1));
    assert.match(metrics, line('windows_total', 'result="skipped",reason="NO_VALID_UPDATES"', 1));
    assert.match(metrics, line('contributors_total', 'result="included"', 3));
    assert.match(metrics, line('contributors_total', 'result="excluded",reason="BAD_MAGIC"', 2));
    assert.match(metrics, line('contributors_total', 'result="excluded",reason="WRONG_STATE"', 1));
    assert.match(metrics, line('contributors_total', 'result="excluded",reason="WRONG_MODEL"', 1));
    assert.match(metrics, line('last_aggregated_window', '', 8));
    assert.match(metrics, line('last_checkpoint_window', '', 8));
    // Every verdict on the bytes is the compressor's (the collector parses nothing): windows 5 and 8
    // aggregated there, window 7's garbage refused there, and the stale update excluded there.
    assert.match(metrics, line('compressor_calls_total', 'result="ok"', 2));
    assert.match(metrics, line('compressor_calls_total', 'result="no_valid"', 1));
    const excludedThere = compressorProc.records.find(
      (r) => r.event === 'aggregate_excluded' && r.window === '8',
    );
    assert.deepEqual(excludedThere?.excluded, [[ss58(M3), 'WRONG_STATE']]);
  });

  test('restart: restore from checkpoint 8 and replay A_8 to the same θ_9', async () => {
    assert.equal(await agg.stop('SIGTERM'), 0, agg.stderr());
    agg = await startAggregator();
    const restored = await waitFor(agg, 'aggregator_restored');
    assert.deepEqual(
      {
        from: restored.from,
        checkpointWindow: restored.checkpointWindow,
        replayed: restored.replayed,
        window: restored.window,
        fingerprint: restored.fingerprint,
      },
      { from: 'checkpoint', checkpointWindow: 8, replayed: 1, window: 9, fingerprint: theta.get(9) },
    );
    const status = await client.getStatus({});
    assert.equal(status.lastAggregatedWindow, 8n);
    assert.equal(status.lastCheckpointWindow, 8n);
  });

  test('LATEST naming a corrupt checkpoint: rejected, the previous one restored, and the run goes on', async () => {
    // Checkpoint 9 with checkpoint 8's files but a manifest claiming another state.
    const keys8 = checkpointKeys(RUN, 8);
    const keys9 = checkpointKeys(RUN, 9);
    const model = await store.get(keys8.model);
    const config = await store.get(keys8.config);
    assert.ok(model && config);
    await store.put(keys9.model, model.bytes);
    await store.put(keys9.config, config.bytes);
    const m8 = await manifestOf(8);
    await store.put(
      keys9.manifest,
      encodeCheckpointManifest({ ...m8, window: 9, stateFingerprint: '0'.repeat(64) }, AGGREGATOR),
    );
    await store.put(latestKey(RUN), encodeLatest(9));

    assert.equal(await agg.stop('SIGTERM'), 0, agg.stderr());
    agg = await startAggregator();
    const rejected = await waitFor(agg, 'checkpoint_rejected');
    assert.equal(rejected.window, 9);
    assert.equal(rejected.reason, 'STATE_MISMATCH');
    const restored = await waitFor(agg, 'aggregator_restored');
    assert.equal(restored.checkpointWindow, 8);
    assert.equal(restored.window, 9);
    assert.equal(restored.fingerprint, theta.get(9));

    await publishWindow(10);
    const skipped = await waitFor(agg, 'aggregate_skipped', atWindow(9));
    assert.equal(skipped.reason, 'NO_UPDATES');
    const cp10 = await waitFor(agg, 'checkpoint_published', atWindow(10));
    assert.equal(cp10.stateFingerprint, theta.get(9));
    assert.equal(await latest(), 10);
    assert.equal(await agg.stop('SIGTERM'), 0, agg.stderr());
    assert.equal((await waitFor(agg, 'shutdown_complete')).forced, false);
    for (const p of procs.filter((p) => p.name === 'aggregator')) {
      assert.deepEqual(
        p.records.filter((r) => r.level === 'error'),
        [],
      );
      assert.equal(p.stderr(), '');
    }
  });
  test("following a validator's selection: only the selected bytes; no selection in time falls back", async () => {
    const validator = ss58(miner(9));
    agg = await startAggregator({ COHORT_SELECTION_VALIDATOR: validator, COHORT_SELECTION_WAIT_MS: '1500' });
    assert.equal((await waitFor(agg, 'aggregator_restored')).window, 10);
    const select = (window: number, hotkey: string, hash: string, digest: string) =>
      store.put(
        selectionKey(RUN, window),
        encodeSelection({
          runId: RUN,
          window,
          validator,
          contributors: [{ uid: 1, hotkey, payloadBlake2b256: hash, payloadDigest: digest }],
        }),
      );
    const excludedOf = (r: LogRecord) =>
      (r.excluded as { hotkey: string; reason: string }[]).map(({ hotkey, reason }) => ({ hotkey, reason }));
    const advance = async (window: number): Promise<void> => {
      const stored = await store.get(aggregateKey(RUN, window));
      assert.ok(stored);
      await engine.applyAggregate(stored.bytes, 1, {
        runId: RUN,
        window,
        stateFingerprint: Uint8Array.from(Buffer.from(await engine.stateFingerprint(), 'hex')),
      });
    };

    // Window 10: M1 selected, M2 not.
    const u10 = await makeUpdate(M1, 10, 32);
    const put1 = await putUpdate(10, M1, u10);
    await putUpdate(10, M2, await makeUpdate(M2, 10, 40));
    await select(10, ss58(M1), hex(put1.info?.blake2b256), hex(objectDigest(u10)));
    await publishWindow(11);
    const a10 = await waitFor(agg, 'aggregate_published', atWindow(10));
    assert.deepEqual(a10.included, [ss58(M1)]);
    assert.deepEqual(excludedOf(a10), [{ hotkey: ss58(M2), reason: 'NOT_SELECTED' }]);
    await advance(10);
    assert.equal(await engine.stateFingerprint(), a10.stateFingerprintAfter);
    const v10 = await client.verifyAggregate({ window: 10n });
    assert.equal(v10.matches, true, 'checked against the selection and re-derived: ' + v10.detail);

    // Window 11: the selection names bytes other than the stored ones.
    await putUpdate(11, M1, await makeUpdate(M1, 11, 48));
    await select(11, ss58(M1), 'ab'.repeat(32), 'cd'.repeat(32));
    await publishWindow(12);
    const s11 = await waitFor(agg, 'aggregate_skipped', atWindow(11));
    assert.equal(s11.reason, 'NO_VALID_UPDATES');
    assert.deepEqual(excludedOf(s11), [{ hotkey: ss58(M1), reason: 'SELECTION_MISMATCH' }]);

    // Window 12: no selection within the wait: every valid update.
    await putUpdate(12, M1, await makeUpdate(M1, 12, 56));
    await putUpdate(12, M2, await makeUpdate(M2, 12, 64));
    await publishWindow(13);
    const a12 = await waitFor(agg, 'aggregate_published', atWindow(12));
    assert.deepEqual(a12.included, [ss58(M1), ss58(M2)].sort(byString));
    await waitFor(agg, 'selection_missing', atWindow(12));
    assert.equal(await agg.stop('SIGTERM'), 0, agg.stderr());
  });

  test('the compressor down: the window fails (COMPRESSOR_UNAVAILABLE), nothing is published, and it is aggregated once the compressor is back', async () => {
    agg = await startAggregator();
    const restored = await waitFor(agg, 'aggregator_restored');
    assert.equal(restored.window, 13);
    const port = (await compressorProc.ports()).grpc;
    assert.equal(await compressorProc.stop('SIGTERM'), 0, compressorProc.stderr());
    // The test's engine to θ_13 (it applied A_10; window 11 carried over): apply A_12.
    const a12 = await store.get(aggregateKey(RUN, 12));
    assert.ok(a12);
    await engine.applyAggregate(a12.bytes, 1, {
      runId: RUN,
      window: 12,
      stateFingerprint: Uint8Array.from(Buffer.from(await engine.stateFingerprint(), 'hex')),
    });
    assert.equal(await engine.stateFingerprint(), restored.fingerprint);
    const u13 = await makeUpdate(M1, 13, 72);
    await putUpdate(13, M1, u13);
    await publishWindow(14);
    const failed = await waitFor(agg, 'window_failed', atWindow(14));
    assert.equal(failed.phase, 'aggregate');
    assert.equal(failed.stateWindow, 13);
    assert.equal((failed.error as { reason?: string }).reason, 'COMPRESSOR_UNAVAILABLE');
    assert.equal(await store.head(aggregateKey(RUN, 13)), undefined, 'nothing half-made is published');
    assert.equal(await metricOf(agg, 'cohort_aggregator_compressor_calls_total', 'result="unavailable"'), 1);
    assert.equal(await metricOf(agg, 'cohort_aggregator_windows_total', 'reason="aggregate"'), 1);

    compressorProc = await startCompressor(String(port));
    // The next window events retry window 13 (the client's channel may still be backing off once).
    let next = 15;
    const ticker = setInterval(() => void publishWindow(next++), 2000);
    let a13: LogRecord;
    try {
      await publishWindow(next++);
      a13 = await waitFor(agg, 'aggregate_published', atWindow(13), 60_000);
    } finally {
      clearInterval(ticker);
    }
    assert.deepEqual(a13.included, [ss58(M1)]);
    assert.equal(a13.aggregatedBy, 'compressor');
    const v13 = await client.verifyAggregate({ window: 13n });
    assert.equal(v13.matches, true, 'the retried A_13 re-derives bit for bit: ' + v13.detail);
    assert.equal(await agg.stop('SIGTERM'), 0, agg.stderr());
  });
});
