/**
 * Which checkpoint a restarted aggregator restores, against the real checkpoint-store and devnet
 * replicas: LATEST is tried first but is only a hint, so a checkpoint newer than LATEST (a crash between
 * its manifest and LATEST) is a candidate, and LATEST naming a checkpoint retention removed, or a
 * LATEST too large to be one, does not leave the aggregator without a checkpoint.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkpointKeys, encodeLatest, latestKey } from '@cohort/core';

import { TEST_RUN, createTestDeps, startTestStore } from './aggregator-test-support.js';
import type { TestStore } from './aggregator-test-support.js';
import { publishCheckpoint } from './checkpoint-publisher.js';
import { MAX_LATEST_BYTES, restoreCheckpoint } from './checkpoint-restore.js';

/** Restore with a fresh replica; returns the window and what was rejected on the way. */
async function restoreFresh(store: TestStore): Promise<{
  window: number | undefined;
  replicaWindow: number;
  fingerprint: string;
  rejected: { window: unknown; reason: unknown }[];
}> {
  const t = await createTestDeps(store.client);
  try {
    const window = await restoreCheckpoint(t.deps);
    return {
      window,
      replicaWindow: t.deps.replica.window,
      fingerprint: t.deps.replica.fingerprint,
      rejected: t.events('checkpoint_rejected').map(({ window, reason }) => ({ window, reason })),
    };
  } finally {
    await t.dispose();
  }
}

describe('restoreCheckpoint', () => {
  let store: TestStore;
  let fingerprint: string;

  before(async () => {
    store = await startTestStore();
    // Checkpoints 5 and 10 of one lineage (windows 5..9 carried over: the same θ).
    const writer = await createTestDeps(store.client);
    try {
      writer.deps.replica.anchor(5);
      await publishCheckpoint(writer.deps);
      for (let w = 5; w < 10; w++) writer.deps.replica.carryOver();
      await publishCheckpoint(writer.deps);
      fingerprint = writer.deps.replica.fingerprint;
    } finally {
      await writer.dispose();
    }
  });

  after(async () => {
    await store.stop();
  });

  test('without LATEST: the newest checkpoint', async () => {
    await store.client.delete(latestKey(TEST_RUN));
    const restored = await restoreFresh(store);
    assert.deepEqual(restored, { window: 10, replicaWindow: 10, fingerprint, rejected: [] });
  });

  test('a LATEST too large to be one is refused from its size (LATEST_INVALID); the newest is restored', async () => {
    const padded = new Uint8Array(MAX_LATEST_BYTES + 1).fill(0x20);
    padded.set(encodeLatest(5));
    await store.client.put(latestKey(TEST_RUN), padded);
    const restored = await restoreFresh(store);
    assert.deepEqual(restored, {
      window: 10,
      replicaWindow: 10,
      fingerprint,
      rejected: [{ window: null, reason: 'LATEST_INVALID' }],
    });
  });

  test('LATEST names a checkpoint that is gone, the only one left is newer: restored from it', async () => {
    // A crash after checkpoint 10's manifest and before its LATEST, then retention keeping only the
    // newest checkpoint: LATEST names 5, which no longer exists.
    await store.client.put(latestKey(TEST_RUN), encodeLatest(5));
    const keys5 = checkpointKeys(TEST_RUN, 5);
    for (const key of [keys5.manifest, keys5.model, keys5.config]) await store.client.delete(key);
    const restored = await restoreFresh(store);
    assert.deepEqual(restored, {
      window: 10,
      replicaWindow: 10,
      fingerprint,
      rejected: [{ window: 5, reason: 'MANIFEST_MISSING' }],
    });
  });
});
