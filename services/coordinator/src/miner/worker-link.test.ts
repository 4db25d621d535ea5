/**
 * The worker link against a real gRPC server (kit's runtime) whose GpuWorkerService never answers, as a
 * worker stuck in a native call: every bounded call ends with DEADLINE_EXCEEDED (WORKER_TIMEOUT) at its
 * own deadline, and that error is not taken for a lost replica.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CohortError, Code } from '@cohort/core';
import { commonFields, createLogger, defineConfig, loadConfig, startService } from '@cohort/kit';
import type { RunningService, ServiceImpl } from '@cohort/kit';
import { GpuWorkerService } from '@cohort/proto/cohort/worker/v1/gpu_worker';

import { WorkerLink, isReplicaLost } from './worker-link.js';

const never = (): Promise<never> => new Promise<never>(() => undefined);

/** A worker that answers GetInfo only while `answering`, and nothing else ever. */
function stuckWorker(state: { answering: boolean }): Partial<ServiceImpl<typeof GpuWorkerService>> {
  return {
    getInfo: () => (state.answering ? Promise.resolve({ stateWindow: 7n, trainSampleCount: 64n }) : never()),
    loadCheckpoint: () => never(),
    async *encodeUpdate() {
      yield* [];
      await never();
    },
    async applyAggregate(requests) {
      for await (const r of requests) void r;
      return never();
    },
  };
}

const timedOut = (name: string) => (error: unknown) => {
  assert.ok(error instanceof CohortError, String(error));
  assert.equal(error.code, Code.DeadlineExceeded);
  assert.equal(error.reason, 'WORKER_TIMEOUT');
  assert.match(error.message, new RegExp(name));
  assert.equal(isReplicaLost(error), false, 'a slow worker still holds its state');
  return true;
};

async function elapsedMs(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

describe('WorkerLink deadlines', () => {
  const spec = defineConfig('stuck-worker', commonFields({ grpc: 0, metrics: 0 }));
  const state = { answering: true };
  let service: RunningService;
  let link: WorkerLink;

  before(async () => {
    const { config } = loadConfig(spec, { env: { COHORT_SHUTDOWN_GRACE_MS: '0' } });
    service = await startService(
      {
        name: 'stuck-worker',
        spec,
        start: (ctx) => {
          ctx.addGrpcService(GpuWorkerService, stuckWorker(state));
          return Promise.resolve();
        },
      },
      config,
      createLogger({ service: 'stuck-worker', write: () => undefined }),
    );
    await service.started;
    link = new WorkerLink(`127.0.0.1:${service.grpcPort}`, {
      infoTimeoutMs: 150,
      callTimeoutMs: 250,
      loadTimeoutMs: 350,
      chunkBytes: 4,
    });
  });
  after(async () => {
    link.close();
    await service.shutdown('test over');
  });

  test('a worker that answers is read as before', async () => {
    assert.deepEqual(await link.info(), { stateWindow: 7, trainSamples: 64, hotkey: '' });
  });

  test('GetInfo ends at its own (short) deadline', async () => {
    state.answering = false;
    try {
      const ms = await elapsedMs(() => assert.rejects(link.info(), timedOut('GetInfo')));
      assert.ok(ms >= 100 && ms < 2000, `ended after ${ms} ms`);
    } finally {
      state.answering = true;
    }
  });

  test('EncodeUpdate and ApplyAggregate end at the call deadline', async () => {
    const encode = await elapsedMs(() => assert.rejects(link.encode(3), timedOut('EncodeUpdate\\(3\\)')));
    assert.ok(encode >= 200 && encode < 2000, `encode ended after ${encode} ms`);
    const apply = await elapsedMs(() =>
      assert.rejects(link.apply(3, 1, new Uint8Array(10)), timedOut('ApplyAggregate\\(3\\)')),
    );
    assert.ok(apply >= 200 && apply < 2000, `apply ended after ${apply} ms`);
  });

  test('LoadCheckpoint ends at the load deadline', async () => {
    const ms = await elapsedMs(() =>
      assert.rejects(link.load('k', 3, new Uint8Array(32)), timedOut('LoadCheckpoint\\(3\\)')),
    );
    assert.ok(ms >= 300 && ms < 2000, `ended after ${ms} ms`);
  });
});
