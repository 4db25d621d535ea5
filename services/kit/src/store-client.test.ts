/**
 * StoreClient's per-call limits: `get` refuses an object over `maxBytes` (or over what one buffer
 * holds) from the size the store announces, before it allocates or receives a byte, and cancels the
 * transfer; `head`, `list` and `delete` stop when their signal aborts.
 *
 * Real parts: the client and kit's gRPC adapter and service runtime. The one double is the store behind
 * them, an in-memory CheckpointStoreService: kit sits below the checkpoint-store (which depends on it),
 * and only a scripted store can announce a size it never sends or hold a call until it is cancelled.
 * The aggregator's tests run the same caps against the real checkpoint-store (store-caps.test.ts there).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Code, CohortError, blake2b256 } from '@cohort/core';
import { CheckpointStoreService } from '@cohort/proto/cohort/store/v1/checkpoint_store';

import { commonFields } from './config/common-fields.js';
import { loadConfig } from './config/load-config.js';
import { defineConfig } from './config/spec.js';
import type { ServiceImpl } from './grpc/types.js';
import { createLogger } from './log.js';
import { startService } from './service-runtime.js';
import type { RunningService } from './service-runtime.js';
import { StoreClient } from './store-client.js';

/** A Get of this key announces its size, then sends nothing until the client cancels. */
const HELD = 'held';
/** A Get of this key announces 1 TiB, more than any JavaScript buffer, and sends nothing. */
const HUGE = 'huge';
/** Head, List and Delete of this key (prefix) never answer until the client cancels. */
const STUCK = 'stuck';

interface Probe {
  /** Keys whose call the client cancelled, in order. */
  readonly cancelled: string[];
}

/** Resolve when `signal` aborts. */
const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

function storeDouble(objects: Map<string, Uint8Array>): {
  impl: ServiceImpl<typeof CheckpointStoreService>;
  probe: Probe;
} {
  const probe: Probe = { cancelled: [] };
  const info = (key: string, size: bigint, bytes: Uint8Array) => ({
    key,
    sizeBytes: size,
    blake2b256: blake2b256(bytes),
    firstSeenUnixMs: 1n,
  });
  const hold = async (key: string, signal: AbortSignal): Promise<never> => {
    await aborted(signal);
    probe.cancelled.push(key);
    throw new CohortError(Code.Canceled, 'the client gave up');
  };
  const unimplemented = (): Promise<never> =>
    Promise.reject(new CohortError(Code.Unimplemented, 'not part of this test store'));
  const impl: ServiceImpl<typeof CheckpointStoreService> = {
    put: unimplemented,
    watch: unimplemented,
    async *get(request, ctx) {
      if (request.key === HUGE) {
        yield { part: { case: 'info' as const, value: info(HUGE, 1n << 40n, new Uint8Array()) } };
        return await hold(HUGE, ctx.signal);
      }
      const bytes = objects.get(request.key);
      if (bytes === undefined) throw new CohortError(Code.NotFound, `${request.key} not found`);
      yield { part: { case: 'info' as const, value: info(request.key, BigInt(bytes.length), bytes) } };
      if (request.key === HELD) return await hold(HELD, ctx.signal);
      yield { part: { case: 'chunk' as const, value: bytes } };
    },
    async head(request, ctx) {
      if (request.key === STUCK) return hold(STUCK, ctx.signal);
      const bytes = objects.get(request.key);
      if (bytes === undefined) throw new CohortError(Code.NotFound, `${request.key} not found`);
      return Promise.resolve({ info: info(request.key, BigInt(bytes.length), bytes) });
    },
    async list(request, ctx) {
      if (request.prefix === STUCK) return hold(STUCK, ctx.signal);
      return Promise.resolve({
        objects: [...objects]
          .filter(([key]) => key.startsWith(request.prefix))
          .map(([key, bytes]) => info(key, BigInt(bytes.length), bytes)),
        nextPageToken: '',
      });
    },
    async delete(request, ctx) {
      if (request.key === STUCK) return hold(STUCK, ctx.signal);
      return Promise.resolve({ deleted: objects.delete(request.key) });
    },
  };
  return { impl, probe };
}

const rejectsWith = async (promise: Promise<unknown>, code: Code, reason: string): Promise<CohortError> => {
  let caught: unknown;
  await promise.then(
    () => assert.fail(`expected ${reason}`),
    (error: unknown) => (caught = error),
  );
  assert.ok(caught instanceof CohortError, `a CohortError, not ${String(caught)}`);
  assert.equal(caught.code, code, String(caught));
  assert.equal(caught.reason, reason, String(caught));
  return caught;
};

describe('StoreClient limits and cancellation', () => {
  const spec = defineConfig('store-double', commonFields({ grpc: 0, metrics: 0 }));
  const objects = new Map<string, Uint8Array>([
    ['small', new Uint8Array(100).fill(7)],
    [HELD, new Uint8Array(4096).fill(9)],
  ]);
  const double = storeDouble(objects);
  let running: RunningService;
  let store: StoreClient;

  before(async () => {
    const { config } = loadConfig(spec, {});
    running = await startService(
      {
        name: 'store-double',
        spec,
        start: (ctx) => {
          ctx.addGrpcService(CheckpointStoreService, double.impl);
          return Promise.resolve();
        },
      },
      config,
      createLogger({ service: 'store-double', level: 'error', write: () => undefined }),
    );
    await running.started;
    store = new StoreClient(`127.0.0.1:${running.grpcPort}`);
  });

  after(async () => {
    store.close();
    await running.shutdown('test done');
  });

  test('get refuses an object over maxBytes from its announced size and cancels the transfer', async () => {
    // The store sends HELD's bytes only after a cancellation that never comes: the refusal comes from
    // the info message alone, before any buffer for the object exists.
    const error = await rejectsWith(
      store.get(HELD, { maxBytes: 1024 }),
      Code.FailedPrecondition,
      'TOO_LARGE',
    );
    assert.match(error.message, /held has 4096 bytes, over 1024/);
    assert.deepEqual(error.details, { key: HELD, sizeBytes: 4096, maxBytes: 1024 });
    await waitFor(() => double.probe.cancelled.includes(HELD));
  });

  test('an object no buffer can hold is TOO_LARGE by default, not a RangeError', async () => {
    await rejectsWith(store.get(HUGE), Code.FailedPrecondition, 'TOO_LARGE');
    await waitFor(() => double.probe.cancelled.includes(HUGE));
  });

  test('an object of exactly maxBytes is read; so is any object without maxBytes', async () => {
    assert.deepEqual((await store.get('small', { maxBytes: 100 }))?.bytes, objects.get('small'));
    assert.deepEqual((await store.get('small'))?.bytes, objects.get('small'));
    await rejectsWith(store.get('small', { maxBytes: 99 }), Code.FailedPrecondition, 'TOO_LARGE');
    assert.equal(await store.get('absent', { maxBytes: 1 }), undefined, 'absent stays undefined');
  });

  test('maxBytes must be a non-negative integer', async () => {
    for (const maxBytes of [-1, 1.5, Number.NaN]) {
      await rejectsWith(store.get('small', { maxBytes }), Code.InvalidArgument, 'BAD_LIMIT');
    }
  });

  test('head, list and delete stop when their signal aborts', async () => {
    for (const call of [
      (signal: AbortSignal) => store.head(STUCK, { signal }),
      (signal: AbortSignal) => store.list(STUCK, { signal }),
      (signal: AbortSignal) => store.delete(STUCK, { signal }),
    ]) {
      const before = double.probe.cancelled.length;
      const started = Date.now();
      await assert.rejects(call(AbortSignal.timeout(100)));
      assert.ok(Date.now() - started < 5000, 'returned at the abort, not at some store timeout');
      await waitFor(() => double.probe.cancelled.length === before + 1);
    }
  });

  test('head, list and delete answer as before without a signal', async () => {
    assert.equal((await store.head('small'))?.sizeBytes, 100n);
    assert.equal(await store.head('absent'), undefined);
    assert.deepEqual(
      (await store.list('sm')).map((i) => i.key),
      ['small'],
    );
    objects.set('doomed', new Uint8Array(3));
    assert.equal(await store.delete('doomed'), true);
    assert.equal(await store.delete('doomed'), false);
  });
});

/** Poll `predicate` until it holds (the server learns of a cancellation a moment after the client). */
async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
