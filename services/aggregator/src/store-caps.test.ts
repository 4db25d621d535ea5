/**
 * Per-read size caps against the real checkpoint-store: StoreClient.get refuses an object over the
 * caller's `maxBytes` from its announced size (TOO_LARGE), and the aggregator's readers turn an object
 * too large for its key into what a bad object of that kind already meant — a manifest refused
 * (MANIFEST_TOO_LARGE) or ignored, a payload not re-derived from (DERIVATION_MISMATCH), an aggregate
 * not replayed — instead of buffering it. (kit's store-client.test.ts shows the cap acts before any
 * buffer exists, with a store that announces sizes it never sends.)
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  Code,
  CohortError,
  MAX_MANIFEST_BYTES,
  aggregateKey,
  checkpointKeys,
  encodeSs58,
  hotkeyFromSeed,
  updateKey,
} from '@cohort/core';
import { fixtureAggregate } from '@cohort/core/testing';
import { CheckpointRejected, aggregateBytesBound, loadCheckpoint, verifyAggregate } from '@cohort/replica';

import { TEST_RUN, createTestDeps, startTestStore, testHotkey } from './aggregator-test-support.js';
import type { TestDeps, TestStore } from './aggregator-test-support.js';
import { adoptPublished } from './replay.js';

const isTooLarge = (error: unknown): boolean => {
  assert.ok(error instanceof CohortError, String(error));
  assert.equal(error.code, Code.FailedPrecondition);
  assert.equal(error.reason, 'TOO_LARGE');
  return true;
};

describe('size caps on reads from the real checkpoint-store', () => {
  let store: TestStore;
  let t: TestDeps;

  before(async () => {
    store = await startTestStore();
    t = await createTestDeps(store.client, { maxAggregateBytes: 4096, maxUpdateBytes: 1024 });
  });

  after(async () => {
    await t.dispose();
    await store.stop();
  });

  test('get: over maxBytes is TOO_LARGE, exactly maxBytes is read', async () => {
    const key = `cohort/v1/${TEST_RUN}/other/blob`;
    const bytes = new Uint8Array(2048).fill(3);
    await store.client.put(key, bytes);
    await assert.rejects(store.client.get(key, { maxBytes: 2047 }), isTooLarge);
    assert.deepEqual((await store.client.get(key, { maxBytes: 2048 }))?.bytes, bytes);
  });

  test('a manifest over MAX_MANIFEST_BYTES: refused by a loader, ignored by the replay', async () => {
    const keys = checkpointKeys(TEST_RUN, 8);
    await store.client.put(keys.manifest, new Uint8Array(MAX_MANIFEST_BYTES + 1).fill(0x20));
    const scratch = await mkdtemp(join(tmpdir(), 'cohort-agg-caps-'));
    try {
      const source = { runId: TEST_RUN, store: store.client, preset: 'devnet', scratchDir: scratch };
      await assert.rejects(loadCheckpoint(source, t.deps.replica, 8), (error: unknown) => {
        assert.ok(error instanceof CheckpointRejected, String(error));
        assert.equal(error.reason, 'MANIFEST_TOO_LARGE');
        return true;
      });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    // Window 7 has no aggregate; checkpoint 8's "manifest" proves nothing: the window is computed.
    t.deps.replica.anchor(7);
    assert.equal(await adoptPublished(t.deps), undefined);
    assert.equal(t.deps.replica.window, 7);
  });

  test('an aggregate over maxAggregateBytes is not replayed', async () => {
    t.deps.replica.anchor(9);
    await store.client.put(aggregateKey(TEST_RUN, 9), new Uint8Array(4097));
    await assert.rejects(adoptPublished(t.deps), isTooLarge);
    assert.equal(t.deps.replica.window, 9);
  });

  test('an audit never downloads a listed payload over maxUpdateBytes, nor an aggregate over its cap', async () => {
    const miner = hotkeyFromSeed(new Uint8Array(32).fill(0x51));
    const aggregate = fixtureAggregate({
      signer: testHotkey,
      runId: TEST_RUN,
      window: 11,
      stateFingerprint: t.deps.replica.fingerprint,
      contributors: [{ key: miner.publicKey, digest: 'ee'.repeat(32) }],
    });
    await store.client.put(aggregateKey(TEST_RUN, 11), aggregate);
    await store.client.put(updateKey(TEST_RUN, 11, encodeSs58(miner.publicKey)), new Uint8Array(1025));
    const source = { runId: TEST_RUN, store: store.client, maxUpdateBytes: 1024 };
    const outcome = await verifyAggregate({ ...source, maxAggregateBytes: aggregate.length }, 11);
    assert.equal(outcome.matches, false);
    assert.equal(outcome.reason, 'DERIVATION_MISMATCH');
    assert.match(outcome.detail, /TOO_LARGE/);
    assert.equal(outcome.payloadBytes, 0, 'nothing of it was downloaded');
    await assert.rejects(
      verifyAggregate({ ...source, maxAggregateBytes: aggregate.length - 1 }, 11),
      isTooLarge,
    );
  });

  test("the aggregator's aggregate cap follows its model", () => {
    const parameters = t.deps.replica.engine.info().parameterCount;
    const bound = aggregateBytesBound(parameters);
    assert.ok(bound >= 4.125 * parameters + 4 * 1024 * 1024, 'above the most an aggregate can take');
    assert.ok(bound < 8 * 1024 ** 3, 'far below the store client default for the devnet model');
  });
});
