/**
 * FETCH_TIMEOUT: a selected update the store does not deliver within `fetchTimeoutMs` is dropped with
 * its reason and the window is collected without it. FETCH_FAILED: an update whose download fails for
 * any other reason (a truncated transfer, a corrupt object) is dropped the same way, never failing the
 * window.
 *
 * Real parts: the native codec (signed updates of the run), kit's StoreClient over real gRPC, served by kit's service runtime. The one test double is the store
 * behind it: an in-memory CheckpointStoreService whose Get for one key never answers (until the call is
 * cancelled) and for another fails. No real store can be made slow or broken for a single object on
 * demand; behind the real client, the deadline, the cancellation and the error the collector
 * classifies are the real ones.
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
/** The window whose BAD update cannot be read. */
const BROKEN_WINDOW = 6;
const FETCH_TIMEOUT_MS = 300;
const miner = (n: number): HotkeyPair => hotkeyFromSeed(new Uint8Array(32).fill(0x20 + n));
const [FAST_1, SLOW, FAST_2, BAD] = [miner(1), miner(2), miner(3), miner(4)];
const ss58 = (pair: HotkeyPair): string => encodeSs58(pair.publicKey);

/**
 * An in-memory store whose Get of `slowKey` holds until the client gives up, and whose Get of each key
 * in `failing` throws that error after announcing the object; see the module comment.
 */
function storeDouble(
  objects: ReadonlyMap<string, Uint8Array>,
  slowKey: string,
  failing: ReadonlyMap<string, CohortError>,
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
      const failure = failing.get(request.key);
      if (failure !== undefined) throw failure;
      yield { part: { case: 'chunk' as const, value: bytes } };
    },
  };
  return { impl, slowCancelled };
}

describe('collectUpdates: an update that cannot be downloaded', () => {
  const spec = defineConfig('store-double', commonFields({ grpc: 0, metrics: 0 }));
  let running: RunningService;
  let store: StoreClient;
  let slowCancelled: Promise<void>;
  const logged: Record<string, unknown>[] = [];

  before(async () => {
    const tensors = [{ name: 'w', shape: [64, 64], data: new Float32Array(64 * 64).fill(0.01) }];
    const objects = new Map<string, Uint8Array>();
    const uploads: [number, HotkeyPair][] = [
      ...[FAST_1, SLOW, FAST_2].map((pair): [number, HotkeyPair] => [WINDOW, pair]),
      ...[FAST_1, BAD, FAST_2].map((pair): [number, HotkeyPair] => [BROKEN_WINDOW, pair]),
    ];
    for (const [window, pair] of uploads) {
      const { bytes } = await encodeUpdate(
        tensors,
        {
          runId: RUN,
          window,
          hotkey: pair.publicKey,
          stateFingerprint: new Uint8Array(32).fill(0x5a),
          dataReceipt: new Uint8Array(32),
        },
        { tileSide: 64, topk: 16, indexCoding: 'rice' },
      );
      signObject(bytes, pair);
      objects.set(updateKey(RUN, window, ss58(pair)), bytes);
    }
    const truncated = new CohortError(Code.DataLoss, 'the connection to the bucket was reset mid-object', {
      reason: 'TRUNCATED',
    });
    const double = storeDouble(
      objects,
      updateKey(RUN, WINDOW, ss58(SLOW)),
      new Map([[updateKey(RUN, BROKEN_WINDOW, ss58(BAD)), truncated]]),
    );
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

  const depsOf = (): CollectDeps => ({
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
      maxAggregateBytes: 1 << 24,
      maxPeers: 20,
      fetchTimeoutMs: FETCH_TIMEOUT_MS,
      stateDir: '',
      selectionValidator: '',
      selectionWaitMs: 0,
    },
  });
  const events = (): unknown[] =>
    logged.splice(0).map(({ event, reason, hotkey }) => ({ event, reason, hotkey }));

  test('the slow update is dropped with FETCH_TIMEOUT, the others are collected', async () => {
    // Get of the slow key only ends when the client cancels it: returning at all means the collector
    // gave up on it at its deadline instead of waiting.
    const collected = await collectUpdates(depsOf(), WINDOW);
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
    assert.deepEqual(
      events(),
      [{ event: 'update_fetch_failed', reason: 'FETCH_TIMEOUT', hotkey: ss58(SLOW) }],
      'nothing else went wrong',
    );
  });

  test('an update whose download fails (TRUNCATED) is dropped with FETCH_FAILED; the window is collected', async () => {
    const collected = await collectUpdates(depsOf(), BROKEN_WINDOW);
    assert.equal(collected.listed, 3);
    assert.deepEqual(
      collected.updates.map((u) => u.hotkey),
      [ss58(FAST_1), ss58(FAST_2)].sort(),
    );
    assert.deepEqual(
      collected.excluded.map(({ hotkey, reason }) => ({ hotkey, reason })),
      [{ hotkey: ss58(BAD), reason: 'FETCH_FAILED' }],
    );
    assert.match(collected.excluded[0]?.detail ?? '', /^TRUNCATED: the connection to the bucket was reset/);
    assert.deepEqual(events(), [{ event: 'update_fetch_failed', reason: 'FETCH_FAILED', hotkey: ss58(BAD) }]);
  });

  test('shutdown during a download still fails the collection instead of excluding', async () => {
    const controller = new AbortController();
    const collecting = collectUpdates({ ...depsOf(), signal: controller.signal }, WINDOW);
    setTimeout(() => controller.abort(), 50); // the slow update is still downloading
    await assert.rejects(collecting);
    assert.deepEqual(events(), []);
  });
});
