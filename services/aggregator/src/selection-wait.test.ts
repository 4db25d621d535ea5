/**
 * Following the validator's selection when the store misbehaves, against the real checkpoint-store
 * (behind a pass-through that fails chosen reads) and a devnet replica: only an absent selection means
 * "none"; a failed read fails the window — nothing is signed or published, the replica stays, and the
 * next event retries — instead of falling back to every update, which replicas trusting the validator
 * would refuse. A window being caught up still reads its selection and polls for it briefly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  Code,
  CohortError,
  MAX_SELECTION_BYTES,
  aggregateKey,
  checkpointKeys,
  encodeSelection,
  encodeSs58,
  hotkeyFromSeed,
  selectionKey,
  updateKey,
} from '@cohort/core';

import { TEST_RUN, createTestDeps, startFaultyStore, startTestStore } from './aggregator-test-support.js';
import type { FaultyStore, TestDeps, TestStore } from './aggregator-test-support.js';
import { CATCH_UP_SELECTION_WAIT_MS, awaitSelection } from './selection-wait.js';
import { WindowAggregator } from './window-aggregator.js';

const ss58 = (seed: number): string => encodeSs58(hotkeyFromSeed(new Uint8Array(32).fill(seed)).publicKey);
const VALIDATOR = ss58(0x33);
const SELECTED = ss58(0x41);
const UNSELECTED = ss58(0x42);

/** A selection of `window` naming SELECTED only. */
const selectionOf = (window: number): Uint8Array =>
  encodeSelection({
    runId: TEST_RUN,
    window,
    validator: VALIDATOR,
    contributors: [
      { uid: 1, hotkey: SELECTED, payloadBlake2b256: 'ab'.repeat(32), payloadDigest: 'cd'.repeat(32) },
    ],
  });

const unavailable = (): CohortError =>
  new CohortError(Code.Unavailable, 'the bucket did not answer in time', { reason: 'PEER_UNREACHABLE' });

describe('awaitSelection and the window loop when the selection cannot be read', () => {
  let store: TestStore;
  let faulty: FaultyStore;
  let t: TestDeps;

  before(async () => {
    store = await startTestStore();
    faulty = await startFaultyStore(store.client);
    t = await createTestDeps(faulty.client, { selectionValidator: VALIDATOR, selectionWaitMs: 3000 });
  });

  after(async () => {
    await t.dispose();
    await faulty.stop();
    await store.stop();
  });

  test('a selection already there is found even with no wait at all', async () => {
    await store.client.put(selectionKey(TEST_RUN, 1), selectionOf(1));
    const selection = await awaitSelection(t.deps, 1, 0);
    assert.deepEqual(
      selection?.contributors.map((c) => c.hotkey),
      [SELECTED],
    );
  });

  test('a failed read throws instead of falling back to every update', async () => {
    await store.client.put(selectionKey(TEST_RUN, 2), selectionOf(2));
    faulty.failGets(selectionKey(TEST_RUN, 2), 1, unavailable());
    await assert.rejects(awaitSelection(t.deps, 2, 0), (error: unknown) => {
      assert.ok(error instanceof CohortError);
      assert.equal(error.code, Code.Unavailable);
      return true;
    });
    assert.deepEqual(t.events('selection_missing'), []);
    assert.ok(await awaitSelection(t.deps, 2, 0), 'found once the store answers');
  });

  test('a selection too large to be one is refused from its size and waited past (selection_invalid)', async () => {
    await store.client.put(selectionKey(TEST_RUN, 3), new Uint8Array(MAX_SELECTION_BYTES + 1).fill(0x20));
    assert.equal(await awaitSelection(t.deps, 3, 300), undefined);
    assert.ok(t.events('selection_invalid').some((r) => r.window === 3));
    assert.deepEqual(
      t.events('selection_missing').map((r) => r.window),
      [3],
    );
  });

  test('catching up: a failed selection read fails the window and publishes nothing; the next event follows the selection', async () => {
    const s = 20;
    t.deps.replica.anchor(s);
    const fingerprint = t.deps.replica.fingerprint;
    // An update the validator did not select: aggregating "every valid update" would take it.
    await store.client.put(updateKey(TEST_RUN, s, UNSELECTED), new Uint8Array(512).fill(7));
    faulty.failGets(selectionKey(TEST_RUN, s), 1, unavailable());

    const windows = new WindowAggregator(t.deps);
    await windows.onWindow({ window: s + 2, arrivedUnixMs: Date.now() });
    const [failed, ...more] = t.events('window_failed');
    assert.equal(more.length, 0);
    assert.equal(failed?.stateWindow, s);
    assert.equal((failed?.error as { code?: string }).code, 'Unavailable');
    assert.equal(faulty.failedGets(selectionKey(TEST_RUN, s)), 1);
    assert.equal(t.deps.replica.window, s, 'the replica stays at θ_s');
    assert.equal(t.deps.replica.fingerprint, fingerprint);
    assert.equal(await store.client.head(aggregateKey(TEST_RUN, s)), undefined, 'no aggregate');
    assert.equal(
      await store.client.head(checkpointKeys(TEST_RUN, s + 1).manifest),
      undefined,
      'no checkpoint',
    );
    assert.ok(!t.events('selection_missing').some((r) => r.window === s), 'no fallback');

    // The next event catches s up again; the validator's selection lands while it looks (after the
    // first read), within the catch-up wait.
    const late = (async () => {
      await delay(400);
      await store.client.put(selectionKey(TEST_RUN, s), selectionOf(s));
    })();
    assert.ok(CATCH_UP_SELECTION_WAIT_MS > 1000);
    await windows.onWindow({ window: s + 2, arrivedUnixMs: Date.now() });
    await late;
    const skipped = t.events('aggregate_skipped').find((r) => r.window === s);
    assert.ok(skipped, JSON.stringify(t.logged.map((r) => r.event)));
    assert.deepEqual(
      (skipped.excluded as { hotkey: string; reason: string }[]).map(({ hotkey, reason }) => ({
        hotkey,
        reason,
      })),
      [
        { hotkey: SELECTED, reason: 'MISSING' },
        { hotkey: UNSELECTED, reason: 'NOT_SELECTED' },
      ].sort((a, b) => (a.hotkey < b.hotkey ? -1 : 1)),
    );
    assert.ok(!t.events('selection_missing').some((r) => r.window === s), 'the selection was followed');
    assert.equal(t.events('window_failed').length, 1, 'only the first event failed');
    assert.equal(t.deps.replica.window, s + 2);
  });
});
