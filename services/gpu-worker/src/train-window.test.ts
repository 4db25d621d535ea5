import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { CohortError } from '@cohort/core';
import { createLogger } from '@cohort/kit';
import type { CallContext } from '@cohort/kit';
import type { Dataset, Engine, InnerResult, TrainInnerOptions } from '@cohort/native';
import { TrainWindowRequestSchema } from '@cohort/proto/cohort/worker/v1/gpu_worker';
import type { RunDataset } from '@cohort/replica';
import { Registry } from 'prom-client';

import type { EfStore } from './ef-store.js';
import { Replica } from './replica.js';
import { createTrainWindow } from './train-window.js';
import { createWorkerMetrics } from './worker-metrics.js';

const RUN = 'schedule-test';

/** An engine that trains nothing and records the schedule step of every trainInner call. */
function recordingEngine(calls: (number | null)[]): Engine {
  const engine = {
    stateFingerprint: () => Promise.resolve('ab'.repeat(32)),
    snapshot: () => Promise.resolve(),
    restoreSnapshot: () => Promise.resolve(),
    loadCheckpoint: () => Promise.resolve(),
    cancel: () => undefined,
    trainInner: (_d: Dataset, _s: string, indices: Uint32Array, _n: number, o: TrainInnerOptions = {}) => {
      const scheduleStep = o.scheduleStep ?? null;
      calls.push(scheduleStep);
      const result: InnerResult = {
        losses: Float64Array.of(2 - calls.length / 100),
        gradNorms: Float64Array.of(1),
        learningRates: Float64Array.of((scheduleStep ?? 0) * 1e-9),
        tokens: indices.length,
        seconds: 0.01,
        tokensPerSecond: indices.length * 100,
        cancelled: false,
        step: (scheduleStep ?? 0) + 1,
        optimizerSteps: calls.length,
      };
      return Promise.resolve(result);
    },
  };
  return engine as unknown as Engine;
}

/** A local dataset of 100 train samples whose ids are their indices. */
const fakeDataset = {
  sampleCount: () => 100,
  sampleIds: (_split: string, indices: Uint32Array) => BigUint64Array.from(indices, BigInt),
} as unknown as Dataset;
const source: RunDataset = {
  dataset: fakeDataset,
  origin: 'test',
  remote: false,
  ensure: () => Promise.resolve(),
  prefetch: () => Promise.resolve(0),
  close: () => Promise.resolve(),
};

async function setup(runStartWindow?: bigint) {
  const calls: (number | null)[] = [];
  const lines: Record<string, unknown>[] = [];
  const replica = await Replica.create({
    engine: recordingEngine(calls),
    dataset: source,
    efStore: {} as EfStore,
    hotkey: null,
    runId: RUN,
    codec: { beta: 0.95, tileSide: 64, topk: 64, indexCoding: 'rice' },
    ...(runStartWindow === undefined ? {} : { runStartWindow }),
  });
  const log = createLogger({
    service: 'gpu-worker',
    write: (line) => void lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  const train = createTrainWindow({
    replica,
    metrics: createWorkerMetrics(new Registry()),
    log,
    store: null,
    payloadChunkBytes: 1 << 20,
    info: {
      device: 'cpu',
      preset: 'devnet',
      parameterCount: 0n,
      engineVersion: 'test',
      torchVersion: 'test',
      cudaAvailable: false,
      trainSampleCount: 100n,
      hotkey: '',
    },
  });
  return { calls, lines, replica, train };
}

function context(signal = new AbortController().signal): CallContext {
  return {
    signal,
    draining: new AbortController().signal,
    path: '/TrainWindow',
    peer: 'test',
  } as CallContext;
}

const request = (window: bigint, innerSteps: number, samples: number) =>
  create(TrainWindowRequestSchema, {
    runId: RUN,
    window,
    innerSteps,
    sampleIds: Array.from({ length: samples }, (_, i) => BigInt(i)),
  });

/** Every event of a TrainWindow stream. */
async function drain(stream: AsyncIterable<unknown>): Promise<unknown[]> {
  const events: unknown[] = [];
  for await (const e of stream) events.push(e);
  return events;
}

test('TrainWindow: inner step s of window w reaches the engine at schedule step w × innerSteps + s', async () => {
  const { calls, lines, replica, train } = await setup();
  // A worker that joined at window 10,000 (a checkpoint), not one that trained since window 0.
  await replica.load('/unused', 10_000n);
  const events = await drain(train(request(10_000n, 3, 6), context()));
  assert.deepEqual(calls, [30_000, 30_001, 30_002]);
  assert.equal(events.length, 4); // three progress events, then the result
  const trained = lines.find((l) => l.event === 'window_trained');
  assert.equal(trained?.scheduleStep, 30_000);
  assert.equal(trained?.firstLearningRate, 30_000 * 1e-9);
  assert.equal(trained?.lastLearningRate, 30_002 * 1e-9);
});

test('TrainWindow: a cancelled window does not shift the schedule of its retry', async () => {
  const { calls, replica, train } = await setup();
  await replica.load('/unused', 7n);
  const abort = new AbortController();
  const stream = train(request(7n, 4, 8), context(abort.signal))[Symbol.asyncIterator]();
  const first = await stream.next();
  assert.ok(first.done !== true && first.value.event?.case === 'progress');
  abort.abort();
  await assert.rejects(stream.next(), (e) => e instanceof CohortError && e.reason === 'CANCELLED');
  assert.deepEqual(calls, [28]);
  assert.equal((await drain(train(request(7n, 4, 8), context()))).length, 5); // the retry, to the end
  assert.deepEqual(calls, [28, 28, 29, 30, 31]);
});

test('TrainWindow: a window whose schedule step is not a safe integer is BAD_WINDOW', async () => {
  const { calls, replica, train } = await setup();
  const window = 2n ** 62n;
  await replica.load('/unused', window);
  await assert.rejects(
    drain(train(request(window, 4, 8), context())),
    (e) => e instanceof CohortError && e.reason === 'BAD_WINDOW',
  );
  assert.deepEqual(calls, []);
});

test('TrainWindow: the schedule counts windows from the run’s start (runStartWindow)', async () => {
  const { calls, replica, train } = await setup(9_990n);
  await replica.load('/unused', 10_000n);
  await drain(train(request(10_000n, 3, 6), context()));
  assert.deepEqual(calls, [30, 31, 32], 'the run’s 10th window, not the chain’s 10,000th');
});
