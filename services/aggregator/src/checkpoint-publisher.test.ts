/**
 * Publishing checkpoints against the real checkpoint-store and a devnet replica: files of other content
 * left under a checkpoint without manifest (an attempt that died before its manifest, θ since
 * recomputed) are removed and replaced instead of failing every event on OBJECT_EXISTS; files of the
 * same content are kept; and a checkpoint is timed once (`cohort_aggregator_phase_seconds{phase=
 * "checkpoint"}`), by the window loop.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkpointKeys, encodeSs58, latestKey, parseCheckpointManifest, parseLatest } from '@cohort/core';
import { loadCheckpoint } from '@cohort/replica';

import { TEST_RUN, createTestDeps, startTestStore, testHotkey } from './aggregator-test-support.js';
import type { TestDeps, TestStore } from './aggregator-test-support.js';
import { publishCheckpoint } from './checkpoint-publisher.js';
import { WindowAggregator } from './window-aggregator.js';

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

describe('publishCheckpoint', () => {
  let store: TestStore;
  let t: TestDeps;

  before(async () => {
    store = await startTestStore();
    t = await createTestDeps(store.client);
  });

  after(async () => {
    await t.dispose();
    await store.stop();
  });

  test('genesis publishes checkpoint W, timed once as phase "checkpoint"', async () => {
    await new WindowAggregator(t.deps).onWindow({ window: 3, arrivedUnixMs: Date.now() });
    assert.deepEqual(t.events('window_failed'), []);
    assert.equal(t.events('checkpoint_published').length, 1);
    const text = await t.registry.getSingleMetricAsString('cohort_aggregator_phase_seconds');
    const counts = text.split('\n').filter((l) => l.startsWith('cohort_aggregator_phase_seconds_count'));
    assert.deepEqual(
      counts.filter((l) => l.includes('phase="checkpoint"')),
      ['cohort_aggregator_phase_seconds_count{phase="checkpoint",result="ok"} 1'],
    );
  });

  test('files of other content under a checkpoint without manifest are removed and replaced', async () => {
    t.deps.replica.carryOver(); // θ_4 = θ_3
    const keys = checkpointKeys(TEST_RUN, 4);
    // What an attempt with another θ_4 left before it died: files, no manifest.
    await store.client.put(keys.model, new Uint8Array(4096).fill(1));
    await store.client.put(keys.config, new TextEncoder().encode('{"another":"config"}'));

    assert.equal(await publishCheckpoint(t.deps), true);
    const removed = t.events('checkpoint_orphans_removed');
    assert.deepEqual(
      removed.map((r) => ({ window: r.window, key: r.key })),
      [
        { window: 4, key: keys.model },
        { window: 4, key: keys.config },
      ],
    );
    assert.equal(removed[0]?.sizeBytes, 4096);
    const stored = await store.client.get(keys.manifest);
    assert.ok(stored);
    const manifest = parseCheckpointManifest(stored.bytes, {
      runId: TEST_RUN,
      window: 4,
      aggregator: encodeSs58(testHotkey.publicKey),
    });
    assert.equal(manifest.stateFingerprint, t.deps.replica.fingerprint);
    assert.equal(hex((await store.client.head(keys.model))?.blake2b256), manifest.model.blake2b256);
    assert.equal(hex((await store.client.head(keys.config))?.blake2b256), manifest.config.blake2b256);
    const latest = await store.client.get(latestKey(TEST_RUN));
    assert.equal(latest && parseLatest(latest.bytes).window, 4);

    // The checkpoint loads: a replica reaches θ_4 from it.
    const other = await createTestDeps(store.client);
    const scratch = await mkdtemp(join(tmpdir(), 'cohort-agg-load-'));
    try {
      const source = { runId: TEST_RUN, store: store.client, preset: 'devnet', scratchDir: scratch };
      assert.equal(await loadCheckpoint(source, other.deps.replica, 4), t.deps.replica.fingerprint);
    } finally {
      await other.dispose();
      await rm(scratch, { recursive: true, force: true });
    }
  });

  test('files of the same content left without manifest are kept (idempotent), nothing removed', async () => {
    t.deps.replica.carryOver(); // θ_5 = θ_4
    const keys = checkpointKeys(TEST_RUN, 5);
    const dir = await mkdtemp(join(tmpdir(), 'cohort-agg-files-'));
    try {
      await t.deps.replica.engine.saveCheckpoint(dir);
      await store.client.putFile(keys.model, join(dir, 'model.safetensors'));
      await store.client.putFile(keys.config, join(dir, 'config.json'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const before = t.events('checkpoint_orphans_removed').length;
    assert.equal(await publishCheckpoint(t.deps), true);
    assert.equal(t.events('checkpoint_orphans_removed').length, before);
    assert.ok(await store.client.head(keys.manifest));
  });
});
