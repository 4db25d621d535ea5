/**
 * The miner loop's terms against in-memory doubles of its worker, store and aggregate source: stopping
 * (shutdown, a lost lead) cuts training at once but lets an upload under way finish within the deadline
 * and the upload slot, and a new term publishes the update the previous one left on the worker instead
 * of resyncing it away.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Code,
  CohortError,
  IllegalStateError,
  checkpointKeys,
  encodeCheckpointManifest,
  encodeLatest,
  encodeSs58,
  hotkeyFromSeed,
  latestKey,
  updateKey,
} from '@cohort/core';
import { createLogger } from '@cohort/kit';
import { Registry } from 'prom-client';

import { createMinerMetrics } from './miner-metrics.js';
import { MinerLoop } from './miner-loop.js';
import type { MinerLoopOptions } from './miner-loop.js';

const RUN = 'loop-test';
const AGGREGATOR = hotkeyFromSeed(new Uint8Array(32).fill(7));
const HOTKEY = encodeSs58(new Uint8Array(32).fill(1));
/** The run's newest checkpoint: θ_5. */
const CHECKPOINT = 5;
const payloadOf = (window: number): Uint8Array => new Uint8Array(64).fill(window);

type Store = MinerLoopOptions['store'];
type Worker = MinerLoopOptions['worker'];

/** An error like the store client's when its call is cancelled. */
const cancelled = (): CohortError => new CohortError(Code.Canceled, 'the call was cancelled');

/**
 * The doubles. The worker behaves like the gpu-worker's replica: it trains from θ_s, its encode keeps
 * the payload (a repeated EncodeUpdate returns it), and loading a checkpoint drops it.
 */
function harness(o: {
  /** The worker's state window at start (-1: none). */
  readonly stateWindow?: number;
  /** The worker holds an encoded update of its state window (the previous term's). */
  readonly holds?: boolean;
  /** Trainings never finish (until cancelled). */
  readonly trainHangs?: boolean;
  readonly uploadSlotMs?: number;
  /** The hotkey the worker reports signing with ('' : none reported). */
  readonly workerHotkey?: string;
}) {
  const objects = new Map<string, Uint8Array>([
    [latestKey(RUN), encodeLatest(CHECKPOINT)],
    [
      checkpointKeys(RUN, CHECKPOINT).manifest,
      encodeCheckpointManifest(
        {
          runId: RUN,
          window: CHECKPOINT,
          preset: 'devnet',
          stateFingerprint: 'ab'.repeat(32),
          model: { sizeBytes: 10, blake2b256: '01'.repeat(32) },
          config: { sizeBytes: 2, blake2b256: '02'.repeat(32) },
          createdUnixMs: 1,
        },
        AGGREGATOR,
      ),
    ],
  ]);
  /** Worker and store calls, in order. */
  const calls: string[] = [];
  const puts: { key: string; bytes: Uint8Array; signal: AbortSignal; finish: () => void }[] = [];
  const trainSignals: AbortSignal[] = [];
  let state = o.stateWindow ?? -1;
  let trained: number | undefined;
  let held: { window: number; bytes: Uint8Array } | undefined =
    o.holds === true ? { window: state, bytes: payloadOf(state) } : undefined;

  const store: Store = {
    get: (key) => {
      const bytes = objects.get(key);
      return Promise.resolve(bytes && ({ bytes } as Awaited<ReturnType<Store['get']>>));
    },
    list: (prefix) =>
      Promise.resolve(
        [...objects.keys()]
          .filter((key) => key.startsWith(prefix))
          .map((key) => ({ key }) as Awaited<ReturnType<Store['list']>>[number]),
      ),
    put: (key, bytes, options) => {
      calls.push(`put ${key}`);
      const signal = options?.signal ?? new AbortController().signal;
      return new Promise((resolve, reject) => {
        const finish = (): void => {
          objects.set(key, bytes);
          resolve({ info: undefined, created: true });
        };
        puts.push({ key, bytes, signal, finish });
        signal.addEventListener('abort', () => reject(cancelled()), { once: true });
      });
    },
  };
  const worker: Worker = {
    info: () => Promise.resolve({ stateWindow: state, trainSamples: 64, hotkey: o.workerHotkey ?? '' }),
    load: (_key, window) => {
      calls.push(`load ${window}`);
      state = window;
      trained = undefined;
      held = undefined;
      return Promise.resolve({ fingerprint: 'ab'.repeat(32), downloadedBytes: 12 });
    },
    train: (_run, window, _steps, _ids, signal) => {
      calls.push(`train ${window}`);
      trainSignals.push(signal);
      held = undefined;
      if (o.trainHangs === true) {
        return new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(cancelled()), { once: true }),
        );
      }
      trained = window;
      return Promise.resolve({ losses: [2.5], tokensPerSecond: 100 });
    },
    encode: (window) => {
      calls.push(`encode ${window}`);
      if (trained === window) {
        trained = undefined;
        held = { window, bytes: payloadOf(window) };
      }
      if (held?.window === window) return Promise.resolve(held.bytes);
      return Promise.reject(
        new IllegalStateError(`window ${window} was not trained`, { reason: 'NOT_TRAINED' }),
      );
    },
    apply: (window) => {
      calls.push(`apply ${window}`);
      state = window + 1;
      return Promise.resolve('cd'.repeat(32));
    },
  };
  const records: Record<string, unknown>[] = [];
  const loop = new MinerLoop({
    runId: RUN,
    hotkey: HOTKEY,
    innerSteps: 2,
    batchSize: 2,
    alpha: 1,
    aggregator: encodeSs58(AGGREGATOR.publicKey),
    aggregatePollMs: 10,
    resyncRetryMs: 50,
    maxLagWindows: 8,
    uploadSlotMs: o.uploadSlotMs ?? 60_000,
    aggregates: { fetch: () => Promise.resolve(undefined) },
    worker,
    store,
    log: createLogger({
      service: 'test',
      level: 'debug',
      write: (line) => void records.push(JSON.parse(line) as Record<string, unknown>),
    }),
    metrics: createMinerMetrics(new Registry()),
  });
  const events = (event: string) => records.filter((r) => r.event === event);
  /** Resolve once `condition` holds (checked every few ms), or fail with what happened. */
  const until = async (condition: () => boolean, what: string): Promise<void> => {
    const give = Date.now() + 2000;
    while (!condition()) {
      if (Date.now() > give) assert.fail(`${what}; calls: ${calls.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  };
  return { loop, calls, puts, trainSignals, events, until };
}

/** A miner that trained and encoded window 5 and is putting its update in 5's slot. */
async function uploading(h: ReturnType<typeof harness>, slotStartedAt = Date.now()) {
  h.loop.window(5);
  await h.until(() => h.calls.includes('encode 5'), 'window 5 trained and encoded');
  h.loop.window(6, slotStartedAt);
  await h.until(() => h.puts.length === 1, "5's update being put");
  return h.puts[0]!;
}

test('stopping lets an upload under way finish: the update is published, not cut', async () => {
  const h = harness({});
  const put = await uploading(h);
  assert.equal(put.key, updateKey(RUN, 5, HOTKEY));
  let stopped = false;
  const stopping = h.loop.stop(Date.now() + 5000).then(() => (stopped = true));
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(put.signal.aborted, false, 'the put runs on after the stop');
  assert.equal(stopped, false, 'the stop waits for it');
  put.finish();
  await stopping;
  assert.deepEqual(
    h.events('update_uploaded').map((r) => r.window),
    [5],
  );
  assert.deepEqual(h.events('upload_abandoned'), []);
});

test('an upload still running at the grace deadline is abandoned and logged with window and bytes', async () => {
  const h = harness({});
  const put = await uploading(h);
  const began = Date.now();
  await h.loop.stop(began + 40);
  assert.ok(Date.now() - began >= 35, 'not cut before the deadline');
  assert.ok(put.signal.aborted);
  assert.deepEqual(
    h.events('upload_abandoned').map((r) => [r.window, r.bytes, r.reason]),
    [[5, 64, 'SHUTDOWN_GRACE']],
  );
  assert.deepEqual(h.events('upload_failed'), [], 'abandoned, not failed');
  assert.deepEqual(h.events('window_skipped'), [], 'a stopped loop tells its machine nothing');
});

test('never past the upload slot: a late update counts for nothing, whatever the grace', async () => {
  const h = harness({ uploadSlotMs: 60 });
  const put = await uploading(h);
  const began = Date.now();
  await h.loop.stop(began + 60_000);
  assert.ok(Date.now() - began < 5000);
  assert.ok(put.signal.aborted);
  assert.deepEqual(
    h.events('upload_abandoned').map((r) => [r.window, r.reason]),
    [[5, 'UPLOAD_SLOT_CLOSED']],
  );
});

test('training is cut at once, and a stopped loop starts nothing new', async () => {
  const h = harness({ trainHangs: true });
  h.loop.window(5);
  await h.until(() => h.calls.includes('train 5'), 'window 5 training');
  await h.loop.stop(Date.now() + 60_000); // nothing to upload: resolves at once
  assert.ok(h.trainSignals[0]!.aborted, 'the training call was cancelled');
  const before = h.calls.length;
  h.loop.window(6);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.deepEqual(h.calls.slice(before), []);
});

test("a new term publishes the previous term's update in its open slot before its resync drops it", async () => {
  // The previous term encoded 5 and stopped before (or while) putting it; the chain is in 6.
  const h = harness({ stateWindow: 5, holds: true });
  h.loop.window(6);
  await h.until(() => h.puts.length === 1 && h.calls.includes('load 5'), 'the update put, the resync run');
  assert.deepEqual(h.calls.slice(0, 3), ['encode 5', `put ${updateKey(RUN, 5, HOTKEY)}`, 'load 5']);
  assert.deepEqual(h.puts[0]!.bytes, payloadOf(5));
  h.puts[0]!.finish();
  await h.until(() => h.events('update_uploaded').length === 1, 'the update published');
  assert.deepEqual(
    h.events('payload_taken_over').map((r) => [r.window, r.bytes]),
    [[5, 64]],
  );
  assert.deepEqual(h.events('window_skipped'), [], 'window 5 was contributed, not skipped');
  await h.loop.stop();
});

test('a held update of the current window is sent when its slot opens, not trained again', async () => {
  // The previous term trained and encoded 5 early; its update waited for 5's slot.
  const h = harness({ stateWindow: 5, holds: true });
  h.loop.window(5);
  await h.until(() => h.events('window_trained').length === 1, 'window 5 counted as trained');
  h.loop.window(6);
  await h.until(() => h.puts.length === 1, "5's update being put");
  assert.deepEqual(h.calls, ['encode 5', 'load 5', `put ${updateKey(RUN, 5, HOTKEY)}`]);
  assert.deepEqual(h.puts[0]!.bytes, payloadOf(5), "the previous term's update, not a new one");
  h.puts[0]!.finish();
  await h.loop.stop(Date.now() + 1000);
  assert.deepEqual(
    h.events('update_uploaded').map((r) => r.window),
    [5],
  );
});

test('a past slot is not published late; a worker holding nothing leaves the join as it was', async () => {
  const late = harness({ stateWindow: 5, holds: true, uploadSlotMs: 1000 });
  late.loop.window(6, Date.now() - 5000);
  await late.until(() => late.calls.includes('load 5'), 'the resync');
  assert.deepEqual(late.puts, []);
  assert.deepEqual(
    late.events('upload_abandoned').map((r) => [r.window, r.reason]),
    [[5, 'UPLOAD_SLOT_CLOSED']],
  );
  await late.loop.stop();

  const fresh = harness({ stateWindow: 5 });
  fresh.loop.window(5);
  await fresh.until(() => fresh.calls.includes('train 5'), 'window 5 trained');
  assert.deepEqual(fresh.calls.slice(0, 3), ['encode 5', 'load 5', 'train 5']);
  assert.deepEqual(fresh.events('payload_taken_over'), []);
  assert.deepEqual(fresh.events('payload_handover_failed'), [], 'NOT_TRAINED is the common case');
  await fresh.loop.stop();
});

test('a worker signing with another hotkey is never trained on: every update would be INVALID', async () => {
  const h = harness({ workerHotkey: encodeSs58(new Uint8Array(32).fill(2)) });
  h.loop.window(5);
  await h.until(() => h.events('window_skipped').length > 0, 'the window skipped');
  assert.equal(h.events('worker_call_failed')[0]?.call, 'trained');
  assert.match(
    String(h.events('worker_call_failed')[0]?.error),
    /signs with .* not this coordinator's hotkeyAddress/,
  );
  assert.equal(h.events('window_skipped')[0]?.reason, 'WORKER_HOTKEY_MISMATCH');
  assert.equal(h.calls.filter((c) => c.startsWith('train')).length, 0, 'no training');
  await h.loop.stop(Date.now());
});
