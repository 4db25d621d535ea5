/**
 * syncTo over a fake store and a fake engine whose "state" is a fingerprint: which checkpoint is loaded,
 * which aggregates are replayed, carried-over windows, gaps bridged by a newer checkpoint, jobs older
 * than the replica, and the two ways a job cannot be synced (not yet, never).
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  aggregateKey,
  blake2b256,
  checkpointKeys,
  encodeCheckpointManifest,
  encodeLatest,
  encodeSs58,
  hotkeyFromSeed,
  latestKey,
} from '@cohort/core';
import { fixtureAggregate } from '@cohort/core/testing';
import { createLogger } from '@cohort/kit';
import type { StoreClient } from '@cohort/kit';
import type { Dataset, Engine } from '@cohort/native';
import { Registry } from 'prom-client';

import type { EvaluatorDeps } from './deps.js';
import { CannotScoreError, NotReadyError } from './errors.js';
import { PayloadCache } from './payload-cache.js';
import { createEvaluatorMetrics } from './evaluator-metrics.js';
import { Replica } from '@cohort/replica';
import { syncTo } from './sync.js';

const RUN = 'sync-test';
const AGGREGATOR = hotkeyFromSeed(new Uint8Array(32).fill(0x41));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fp = (label: string): string => hex(blake2b256(utf8(label)));
/** The state after applying aggregate `bytes` to `state`, as the fake engine computes it. */
const next = (state: string, bytes: Uint8Array): string => fp(`${state}|${hex(bytes)}`);

/** A model whose parameters are its fingerprint: checkpoints hold it as text, aggregates hash into it. */
class FakeEngine {
  state = fp('seed');
  loads: number[] = [];
  stateFingerprint(): Promise<string> {
    return Promise.resolve(this.state);
  }
  async loadCheckpoint(dir: string, options: { expectedHash?: string }): Promise<void> {
    const bytes = await readFile(join(dir, 'model.safetensors'));
    if (hex(blake2b256(bytes)) !== options.expectedHash) throw new Error('hash mismatch');
    this.state = bytes.toString('utf8');
    this.loads.push(this.loads.length);
  }
  applyAggregate(
    bytes: Uint8Array,
    _alpha: number,
    expect: { stateFingerprint?: Uint8Array },
  ): Promise<void> {
    if (expect.stateFingerprint === undefined || hex(expect.stateFingerprint) !== this.state) {
      return Promise.reject(new Error('WRONG_STATE'));
    }
    this.state = next(this.state, bytes);
    return Promise.resolve();
  }
}

/** An in-memory store: get, getToFile and list, as StoreClient answers them. */
class FakeStore {
  readonly objects = new Map<string, Uint8Array>();
  get(key: string): Promise<{ info: { blake2b256: Uint8Array }; bytes: Uint8Array } | undefined> {
    const bytes = this.objects.get(key);
    return Promise.resolve(bytes && { info: { blake2b256: blake2b256(bytes) }, bytes });
  }
  /** StoreClient.getToFile: the info to `check` first, then the bytes into `path`. */
  async getToFile(
    key: string,
    path: string,
    options: { check?: (info: { sizeBytes: bigint; blake2b256: Uint8Array }) => void } = {},
  ): Promise<{ sizeBytes: bigint; blake2b256: Uint8Array } | undefined> {
    const bytes = this.objects.get(key);
    if (bytes === undefined) return undefined;
    const info = { sizeBytes: BigInt(bytes.length), blake2b256: blake2b256(bytes) };
    options.check?.(info);
    await writeFile(path, bytes);
    return info;
  }
  list(prefix: string): Promise<{ key: string }[]> {
    return Promise.resolve(
      [...this.objects.keys()].filter((k) => k.startsWith(prefix)).map((key) => ({ key })),
    );
  }
}

async function setup() {
  const engine = new FakeEngine();
  const store = new FakeStore();
  const events: { event: string; [k: string]: unknown }[] = [];
  const log = createLogger({
    service: 'sync-test',
    write: (line) => void events.push(JSON.parse(line) as { event: string }),
  });
  const replica = await Replica.create(engine as unknown as Engine, RUN, 1);
  const deps: EvaluatorDeps = {
    runId: RUN,
    store: store as unknown as StoreClient,
    trust: { aggregator: encodeSs58(AGGREGATOR.publicKey) },
    replica,
    dataset: {} as Dataset,
    ensureSamples: () => Promise.resolve(),
    parameterCount: 7_226_496,
    modelFingerprint: new Uint8Array(32), // sync reads no payload
    trainSamples: 0,
    hotkey: hotkeyFromSeed(new Uint8Array(32)),
    metrics: createEvaluatorMetrics(new Registry()),
    payloads: new PayloadCache(0),
    log,
    signal: new AbortController().signal,
    settings: {
      preset: 'devnet',
      evalAlpha: 0.2,
      evalSamples: 1,
      evalMicroBatch: 1,
      maxPayloadBytes: 1e6,
      stateDir: '',
    },
  };
  const checkpoint = (window: number, state: string, claimed = state, signer = AGGREGATOR): void => {
    const keys = checkpointKeys(RUN, window);
    const model = utf8(state);
    const config = utf8('{}');
    store.objects.set(keys.model, model);
    store.objects.set(keys.config, config);
    const entry = (b: Uint8Array) => ({ sizeBytes: b.length, blake2b256: hex(blake2b256(b)) });
    store.objects.set(
      keys.manifest,
      encodeCheckpointManifest(
        {
          runId: RUN,
          window,
          preset: 'devnet',
          stateFingerprint: claimed,
          model: entry(model),
          config: entry(config),
          createdUnixMs: 0,
        },
        signer,
      ),
    );
  };
  const aggregate = (window: number, signer = AGGREGATOR): Uint8Array => {
    const bytes = fixtureAggregate({
      signer,
      runId: RUN,
      window,
      stateFingerprint: '00'.repeat(32),
      contributors: [{ key: hotkeyFromSeed(new Uint8Array(32).fill(1)).publicKey, digest: '11'.repeat(32) }],
    });
    store.objects.set(aggregateKey(RUN, window), bytes);
    return bytes;
  };
  const latest = (window: number): void => void store.objects.set(latestKey(RUN), encodeLatest(window));
  return { engine, store, deps, replica, events, checkpoint, aggregate, latest };
}

test('restore from LATEST and replay; carry over; an older job reloads; a gap is bridged by a checkpoint', async () => {
  const { engine, deps, replica, events, checkpoint, aggregate, latest } = await setup();
  const theta5 = fp('theta5');
  checkpoint(5, theta5);
  latest(5);
  const theta6 = next(theta5, aggregate(5));
  const theta7 = next(theta6, aggregate(6));

  await syncTo(deps, 7);
  assert.equal(replica.window, 7);
  assert.equal(replica.fingerprint, theta7);
  assert.equal(engine.loads.length, 1);
  assert.deepEqual(
    events.filter((e) => e.event === 'aggregate_replayed').map((e) => e.window),
    [5, 6],
  );

  // Window 7 had no aggregate: checkpoint 8 names θ_7 itself.
  checkpoint(8, theta7);
  latest(8);
  await syncTo(deps, 8);
  assert.equal(replica.window, 8);
  assert.equal(engine.loads.length, 1, 'carried over, nothing loaded');
  assert.ok(events.some((e) => e.event === 'window_carried_over' && e.window === 7));

  // A late job of window 6: the newest checkpoint at or before 6 is 5 (LATEST 8 is after it).
  await syncTo(deps, 6);
  assert.equal(replica.window, 6);
  assert.equal(replica.fingerprint, theta6);
  assert.equal(engine.loads.length, 2);

  // A same-window job needs nothing.
  await syncTo(deps, 6);
  assert.equal(engine.loads.length, 2);

  // No A_8, but checkpoint 10 exists: 6 → 7 → 8 by replay and carry-over, then a jump to 10.
  const theta10 = fp('theta10');
  checkpoint(10, theta10);
  await syncTo(deps, 10);
  assert.equal(replica.window, 10);
  assert.equal(replica.fingerprint, theta10);
  assert.equal(engine.loads.length, 3);

  // θ_11 needs A_10, not published yet.
  await assert.rejects(
    syncTo(deps, 11),
    (e) => e instanceof NotReadyError && e.reason === 'AGGREGATE_NOT_READY',
  );
  assert.equal(replica.window, 10, 'the replica stays usable');
  const theta11 = next(theta10, aggregate(10));
  await syncTo(deps, 11);
  assert.equal(replica.fingerprint, theta11);

  // Nothing at or before window 3: never scorable.
  await assert.rejects(
    syncTo(deps, 3),
    (e) => e instanceof CannotScoreError && e.reason === 'NO_CHECKPOINT_BEFORE',
  );
});

test('a refused checkpoint falls back to an older one; a run without checkpoints is not ready', async () => {
  const { engine, deps, replica, events, checkpoint, aggregate, latest } = await setup();
  await assert.rejects(syncTo(deps, 4), (e) => e instanceof NotReadyError && e.reason === 'NO_CHECKPOINT');

  const theta4 = fp('theta4');
  checkpoint(4, theta4);
  const theta5 = next(theta4, aggregate(4));
  checkpoint(5, theta5, fp('not what the files hold'));
  latest(5);
  await syncTo(deps, 5);
  assert.equal(replica.window, 5);
  assert.equal(replica.fingerprint, theta5);
  assert.deepEqual(engine.loads.length, 2);
  const rejected = events.find((e) => e.event === 'checkpoint_rejected');
  assert.equal(rejected?.window, 5);
  assert.equal(rejected.reason, 'STATE_MISMATCH');

  // Only refused checkpoints at or before the window: never scorable.
  const { deps: deps2, checkpoint: checkpoint2 } = await setup();
  checkpoint2(5, fp('a'), fp('b'));
  await assert.rejects(
    syncTo(deps2, 5),
    (e) => e instanceof CannotScoreError && e.reason === 'NO_USABLE_CHECKPOINT',
  );
});

test("a checkpoint not signed by the run's aggregator is never loaded nor used to carry a window over", async () => {
  const { engine, deps, replica, events, checkpoint, aggregate, latest } = await setup();
  const forger = hotkeyFromSeed(new Uint8Array(32).fill(0x66));
  const theta4 = fp('theta4');
  checkpoint(4, theta4);
  const theta5 = next(theta4, aggregate(4));
  // Whoever can write the bucket publishes a newer checkpoint of a state of their own, validly signed.
  checkpoint(6, fp('forged'), fp('forged'), forger);
  latest(6);
  await syncTo(deps, 5);
  assert.equal(replica.fingerprint, theta5);
  await assert.rejects(
    syncTo(deps, 6),
    (e) => e instanceof NotReadyError && e.reason === 'AGGREGATE_NOT_READY',
  );
  // Window 5 had no aggregate and a forged manifest says θ_6 = θ_5: not carried over on its word.
  checkpoint(6, theta5, theta5, forger);
  await assert.rejects(
    syncTo(deps, 6),
    (e) => e instanceof NotReadyError && e.reason === 'AGGREGATE_NOT_READY',
  );
  assert.equal(replica.window, 5);
  const rejected = events.filter((e) => e.event === 'checkpoint_rejected');
  assert.deepEqual(
    rejected.map((e) => [e.window, e.reason]),
    [
      [6, 'MANIFEST_UNTRUSTED'],
      [6, 'MANIFEST_UNTRUSTED'],
    ],
    'refused by each job, before any download',
  );
  assert.equal(engine.loads.length, 1, 'θ_5 kept: a refused manifest never costs a reload');
});

test("an aggregate not signed by the run's aggregator is never applied: the job cannot be scored", async () => {
  const { engine, deps, replica, events, checkpoint, aggregate, latest } = await setup();
  const theta4 = fp('theta4');
  checkpoint(4, theta4);
  latest(4);
  aggregate(4, hotkeyFromSeed(new Uint8Array(32).fill(0x66)));
  await assert.rejects(
    syncTo(deps, 5),
    (e) => e instanceof CannotScoreError && e.reason === 'AGGREGATE_REFUSED',
  );
  assert.equal(engine.state, theta4, 'θ_4 untouched');
  assert.equal(replica.window, 4);
  const refused = events.find((e) => e.event === 'aggregate_refused');
  assert.equal(refused?.reason, 'AGGREGATOR_UNTRUSTED');
});
