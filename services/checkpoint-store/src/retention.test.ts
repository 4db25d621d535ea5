/**
 * Retention on real files: old windows' updates, scores and selections go, the newest checkpoints and
 * the aggregates a newcomer replays stay, LATEST and foreign objects are never touched, and a stray key
 * of a far window deletes nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { aggregateKey, checkpointKeys, encodeSs58, latestKey, updateKey } from '@cohort/core';
import type { Logger } from '@cohort/kit';

import type { ObjectBackend } from './backends/backend.js';
import { createFsBackend } from './backends/fs-backend.js';
import { runRetention } from './retention.js';

const quiet = {
  info: () => undefined,
  warn: () => undefined,
  debug: () => undefined,
  error: () => undefined,
} as unknown as Logger;

const hotkey = encodeSs58(new Uint8Array(32).fill(7));

/** A filesystem bucket for `fn`, removed afterwards. */
async function withBucket(fn: (backend: ObjectBackend) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'cohort-retention-'));
  try {
    const backend = await createFsBackend({ root });
    await fn(backend);
    await backend.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function put(backend: ObjectBackend, key: string): Promise<void> {
  await backend.put(
    key,
    (async function* () {
      await Promise.resolve();
      yield new TextEncoder().encode(key);
    })(),
    { maxBytes: 1 << 20, overwrite: true },
  );
}

/** Windows 0..20 of run-a, written in order: an update and an aggregate each, a checkpoint every 5. */
async function putRun(backend: ObjectBackend): Promise<void> {
  for (let w = 0; w <= 20; w++) {
    await put(backend, updateKey('run-a', w, hotkey));
    await put(backend, aggregateKey('run-a', w));
    if (w % 5 === 0) {
      const { model, config, manifest } = checkpointKeys('run-a', w);
      for (const k of [model, config, manifest]) await put(backend, k);
    }
  }
}

async function keysIn(backend: ObjectBackend): Promise<Set<string>> {
  const left = new Set<string>();
  let token: string | undefined;
  do {
    const page = await backend.list('', token);
    page.objects.forEach((m) => left.add(m.key));
    token = page.nextPageToken;
  } while (token !== undefined);
  return left;
}

test('a retention pass deletes exactly what the plan allows', () =>
  withBucket(async (backend) => {
    await putRun(backend);
    await put(backend, latestKey('run-a'));
    await put(backend, 'someone/else/object.bin');
    let freed = 0;
    const result = await runRetention(backend, { keepWindows: 4, keepCheckpoints: 2 }, quiet, (bytes) => {
      freed += bytes;
    });
    const left = await keysIn(backend);
    assert.ok(
      left.has(latestKey('run-a')) && left.has('someone/else/object.bin'),
      'LATEST and foreign objects stay',
    );
    for (let w = 16; w <= 20; w++)
      assert.ok(left.has(updateKey('run-a', w, hotkey)), `recent window ${w} stays`);
    for (let w = 0; w < 16; w++) assert.ok(!left.has(updateKey('run-a', w, hotkey)), `old update ${w} goes`);
    // Checkpoints at 15 and 20 are the newest two; aggregates from 15 on are kept for replay.
    for (const w of [15, 20]) assert.ok(left.has(checkpointKeys('run-a', w).model), `checkpoint ${w} stays`);
    for (const w of [0, 5, 10])
      assert.ok(!left.has(checkpointKeys('run-a', w).model), `checkpoint ${w} goes`);
    for (let w = 15; w <= 20; w++) assert.ok(left.has(aggregateKey('run-a', w)), `aggregate ${w} stays`);
    assert.ok(!left.has(aggregateKey('run-a', 14)), 'aggregates before the oldest kept checkpoint go');
    assert.equal(result.deleted, result.scanned - (left.size - 1), 'the foreign object is not even scanned');
    assert.ok(freed > 0, 'the freed bytes are reported');
  }));

test('a stray key of a far window deletes nothing of the live windows', async () => {
  const leftAfterPass = async (extra: readonly string[]): Promise<Set<string>> => {
    let left = new Set<string>();
    await withBucket(async (backend) => {
      await putRun(backend);
      for (const key of extra) await put(backend, key);
      await runRetention(backend, { keepWindows: 4, keepCheckpoints: 2 }, quiet);
      left = await keysIn(backend);
    });
    return left;
  };
  const stray = updateKey('run-a', 9_000_000_000_000_000, hotkey);
  const baseline = await leftAfterPass([]);
  assert.ok(baseline.has(updateKey('run-a', 16, hotkey)) && !baseline.has(updateKey('run-a', 15, hotkey)));
  assert.deepEqual(await leftAfterPass([stray]), new Set([...baseline, stray]));
});
