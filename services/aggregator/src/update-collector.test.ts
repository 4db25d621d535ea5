/**
 * FETCH_TIMEOUT: a selected update the store does not deliver within `fetchTimeoutMs` is dropped with
 * its reason and the window is collected without it.
 *
 * Real parts: the native codec (signed updates of the run), kit's StoreClient over real gRPC, served by kit's service runtime. The one test double is the store
 * behind it: an in-memory CheckpointStoreService whose Get for one key never answers (until the call is
 * cancelled). No real store can be made slow for a single object on demand; behind the real client,
 * the deadline, the cancellation and the error the collector classifies are the real ones.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Code, CohortError, blake2b256, encodeSs58, hotkeyFromSeed, updateKey } from '@cohort/core';
import type { HotkeyPair } from '@cohort/core';
import { StoreClient, commonFields, createLogger, defineConfig, loadConfig, startService } from '@cohort/kit';
import type { RunningService, ServiceImpl } from '@cohort/kit';
import { encodeUpdate, signObject } from '@cohort/native';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ObjectInfoSchema } from '@cohort/proto/cohort/common/v1/types';
import { CheckpointStoreService } from '@cohort/proto/cohort/store/v1/checkpoint_store';

import { collectUpdates } from './update-collector.js';
import type { CollectDeps } from './update-collector.js';

const RUN = 'collector-test';
const WINDOW = 5;
const FETCH_TIMEOUT_MS = 300;
const miner = (n: number): HotkeyPair => hotkeyFromSeed(new Uint8Array(32).fill(0x20 + n));
const [FAST_1, SLOW, FAST_2] = [miner(1), miner(2), miner(3)];
const ss58 = (pair: HotkeyPair): string => encodeSs58(pair.publicKey);

/** An in-memory store whose Get of `slowKey` holds until the client gives up; see the module comment. */
function storeDouble(
  objects: ReadonlyMap<string, Uint8Array>,
  slowKey: string,
): { impl: ServiceImpl<typeof CheckpointStoreService>; slowCancelled: Promise<void> } {
  let cancelled: () => void = () => undefined;
  const slowCancelled = new Promise<void>((resolve) => (cancelled = resolve));
  const infoOf = (key: string, bytes: Uint8Array): MessageInitShape<typeof ObjectInfoSchema> => ({
    key,
    sizeBytes: BigInt(bytes.length),
    blake2b256: blake2b256(bytes),
    firstSeenUnixMs: 1n,
  });
  const unimplemented = (): Promise<never> =>
    Promise.reject(new CohortError(Code.Unimplemented, 'not part of this test store'));
  const impl: ServiceImpl<typeof CheckpointStoreService> = {
    put: unimplemented,
    head: unimplemented,
    delete: unimplemented,
    watch: unimplemented,
    list: (request) =>
      Promise.resolve({
        objects: [...objects]
          .filter(([key]) => key.startsWith(request.prefix))
          .map(([key, bytes]) => infoOf(key, bytes)),
        nextPageToken: '',
      }),
    async *get(request, ctx) {
      const bytes = objects.get(request.key);
      if (bytes === undefined) throw new CohortError(Code.NotFound, `${request.key} not found`);
      if (request.key === slowKey) {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        cancelled();
        throw new CohortError(Code.Canceled, 'the client gave up');
      }
      yield { part: { case: 'info' as const, value: infoOf(request.key, bytes) } };
      yield { part: { case: 'chunk' as const, value: bytes } };
    },
  };
  return { impl, slowCancelled };
}

describe('collectUpdates: an update not downloaded in time', () => {
  const spec = defineConfig('store-double', commonFields({ grpc: 0, metrics: 0 }));
  let running: RunningService;
  let store: StoreClient;
  let slowCancelled: Promise<void>;
  const logged: Record<string, unknown>[] = [];

  before(async () => {
    const tensors = [{ name: 'w', shape: [64, 64], data: new Float32Array(64 * 64).fill(0.01) }];
    const objects = new Map<string, Uint8Array>();
    for (const pair of [FAST_1, SLOW, FAST_2]) {
      const { bytes } = await encodeUpdate(
        tensors,
        {
          runId: RUN,
          window: WINDOW,
          hotkey: pair.publicKey,
          stateFingerprint: new Uint8Array(32).fill(0x5a),
          dataReceipt: new Uint8Array(32),
        },
        { tileSide: 64, topk: 16, indexCoding: 'rice' },
      );
      signObject(bytes, pair);
      objects.set(updateKey(RUN, WINDOW, ss58(pair)), bytes);
    }
    const double = storeDouble(objects, updateKey(RUN, WINDOW, ss58(SLOW)));
    slowCancelled = double.slowCancelled;
    const log = createLogger({ service: 'store-double', level: 'error', write: () => undefined });
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
      log,
    );
    await running.started;
    store = new StoreClient(`127.0.0.1:${running.grpcPort}`);
  });

  after(async () => {
    store.close();
    await running.shutdown('test done');
  });

  test('the slow update is dropped with FETCH_TIMEOUT, the others are collected', async () => {
    const deps: CollectDeps = {
      runId: RUN,
      store,
      log: createLogger({
        service: 'aggregator',
        write: (l) => logged.push(JSON.parse(l) as Record<string, unknown>),
      }),
      signal: new AbortController().signal,
      settings: {
        preset: 'devnet',
        uploadSlotMs: 0,
        checkpointEveryWindows: 10,
        maxUpdateBytes: 1 << 20,
        maxPeers: 20,
        fetchTimeoutMs: FETCH_TIMEOUT_MS,
        stateDir: '',
        selectionValidator: '',
        selectionWaitMs: 0,
      },
    };
    // Get of the slow key only ends when the client cancels it: returning at all means the collector
    // gave up on it at its deadline instead of waiting.
    const collected = await collectUpdates(deps, WINDOW);
    assert.equal(collected.listed, 3);
    assert.deepEqual(
      collected.updates.map((u) => u.hotkey),
      [ss58(FAST_1), ss58(FAST_2)].sort(),
    );
    assert.equal(collected.excluded.length, 1);
    const [dropped] = collected.excluded;
    assert.equal(dropped?.hotkey, ss58(SLOW));
    assert.equal(dropped?.reason, 'FETCH_TIMEOUT');
    assert.match(dropped?.detail ?? '', new RegExp(`within ${FETCH_TIMEOUT_MS} ms`));
    await slowCancelled; // the store saw the download cancelled, not left running
    assert.deepEqual(logged, [], 'nothing else went wrong');
  });
});
