import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retentionPlan } from './retention-plan.js';
import type { RetentionObject } from './retention-plan.js';
import {
  aggregateKey,
  checkpointKeys,
  latestKey,
  scoreKey,
  selectionKey,
  updateKey,
} from './storage-keys.js';

// Substrate's well-known dev accounts (Alice, Bob) with Bittensor's prefix 42.
const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const BOB = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';

/** The three keys of a checkpoint. */
function checkpointFiles(run: string, window: number): string[] {
  const keys = checkpointKeys(run, window);
  return [keys.model, keys.config, keys.manifest];
}

/** Every object of window `w` for a run that checkpoints every 10 windows. */
function windowKeys(run: string, w: number): string[] {
  const keys = [
    updateKey(run, w, ALICE),
    updateKey(run, w, BOB),
    aggregateKey(run, w),
    selectionKey(run, w),
    scoreKey(run, w, ALICE),
  ];
  if (w % 10 === 0) keys.push(...checkpointFiles(run, w));
  return keys;
}

/** Every object of windows `from`..`to`, written window by window. */
function windowsKeys(run: string, from: number, to: number): string[] {
  const keys: string[] = [];
  for (let w = from; w <= to; w++) keys.push(...windowKeys(run, w));
  return keys;
}

/** `keys` as a listing, stored one millisecond apart in the order given, from `startMs` on. */
function stored(keys: readonly string[], startMs = 1_000_000): RetentionObject[] {
  return keys.map((key, i) => ({ key, storedUnixMs: startMs + i }));
}

const FAR = 9_000_000_000_000_000;

test('retention: fixed example', () => {
  const keys = ['README', latestKey('r'), 'cohort/v1/r/aggregates/007', ...windowsKeys('r', 0, 35)];
  // Window 35, keep windows >= 30, keep 2 checkpoints (20 and 30), aggregates from 20 on.
  const options = { keepWindows: 5, keepCheckpoints: 2 };
  const plan = retentionPlan(stored(keys), options);
  const expected: string[] = [];
  for (let w = 0; w < 30; w++) {
    if (w % 10 === 0 && w < 20) {
      const ck = checkpointKeys('r', w);
      expected.push(ck.manifest, ck.config, ck.model);
    }
    const doomed = [updateKey('r', w, ALICE), updateKey('r', w, BOB), selectionKey('r', w)];
    doomed.push(scoreKey('r', w, ALICE));
    if (w < 20) doomed.push(aggregateKey('r', w));
    expected.push(...doomed.sort());
  }
  assert.deepEqual(plan, expected);
  for (const kept of ['README', latestKey('r'), 'cohort/v1/r/aggregates/007', aggregateKey('r', 20)]) {
    assert.ok(!plan.includes(kept), kept);
  }
  // Pure and deterministic: input order and duplicates do not matter.
  const listing = stored(keys);
  const shuffled = [...listing].reverse().concat(listing.slice(0, 50));
  assert.deepEqual(retentionPlan(shuffled, options), plan);
});

test('retention: checkpoints go only when a newer one of their chain stays; incomplete ones and aggregates', () => {
  const ck = (w: number) => checkpointKeys('r', w);
  /** A run at window 60 that checkpointed at 10, 20 and 40; 30 was abandoned, 50 is uploading. */
  const runKeys = (without: readonly string[] = []): string[] => {
    const keys: string[] = [];
    for (let w = 0; w <= 60; w++) {
      keys.push(updateKey('r', w, ALICE), aggregateKey('r', w));
      if (w === 10 || w === 20 || w === 40) keys.push(...checkpointFiles('r', w));
      if (w === 30) keys.push(ck(30).model);
      if (w === 50) keys.push(ck(50).model, ck(50).config);
    }
    return keys.filter((key) => !without.includes(key));
  };
  /** The plan's expected order for windows below 40: checkpoint files manifest first, then the rest. */
  const expect = (checkpoints: readonly number[], aggregates: (w: number) => boolean): string[] => {
    const out: string[] = [];
    for (let w = 0; w < 40; w++) {
      if (checkpoints.includes(w)) out.push(ck(w).manifest, ck(w).config, ck(w).model);
      if (w === 30) out.push(ck(30).model);
      out.push(...(aggregates(w) ? [aggregateKey('r', w)] : []), updateKey('r', w, ALICE));
    }
    return out;
  };
  const options = { keepWindows: 2, keepCheckpoints: 1 };
  // Nothing at or after the newest complete checkpoint (40) goes, the uploading 50 included.
  assert.deepEqual(
    retentionPlan(stored(runKeys()), options),
    expect([10, 20], () => true),
  );
  // Keeping 3 checkpoints keeps the aggregates from 10 on.
  assert.deepEqual(
    retentionPlan(stored(runKeys()), { ...options, keepCheckpoints: 3 }),
    expect([], (w) => w < 10),
  );
  // Window 39 published no aggregate, so checkpoint 40 followed at once: still one chain.
  assert.deepEqual(
    retentionPlan(stored(runKeys([aggregateKey('r', 39)])), options),
    expect([10, 20], (w) => w !== 39),
  );
  // Without aggregate 25 nothing links 20 to 40: 40 supersedes neither, and the newest of 10 and 20 stays
  // with the aggregates a replay from it needs (20 to 24).
  assert.deepEqual(
    retentionPlan(stored(runKeys([aggregateKey('r', 25)])), options),
    expect([10], (w) => w !== 25 && (w < 20 || w > 25)),
  );
});

test('retention: without a complete checkpoint every aggregate stays; runs are independent', () => {
  const keys: string[] = [];
  for (let w = 0; w <= 10; w++) {
    keys.push(aggregateKey('r', w), selectionKey('r', w), selectionKey('s', w));
    if (w === 2) keys.push(checkpointKeys('r', 2).model);
    if (w === 3) keys.push(aggregateKey('s', 3));
    if (w === 4) keys.push(...checkpointFiles('s', 4));
  }
  const plan = retentionPlan(stored(keys), { keepWindows: 2, keepCheckpoints: 1 });
  // r: no complete checkpoint, so its aggregates stay; its other objects of windows up to 7 go.
  // s: windows from its checkpoint (4) on stay, and so do its aggregates from there.
  const expected = [selectionKey('r', 0), selectionKey('s', 0), selectionKey('r', 1), selectionKey('s', 1)];
  expected.push(checkpointKeys('r', 2).model, selectionKey('r', 2), selectionKey('s', 2));
  expected.push(selectionKey('r', 3), aggregateKey('s', 3), selectionKey('s', 3));
  for (let w = 4; w <= 7; w++) expected.push(selectionKey('r', w));
  assert.deepEqual(plan, expected);
});

test('retention: a far-future stray key changes nothing, wherever it appears in time', () => {
  const live = windowsKeys('r', 0, 35);
  const options = { keepWindows: 5, keepCheckpoints: 1 };
  const baseline = retentionPlan(stored(live), options);
  assert.ok(baseline.length > 0);
  const strays = [
    [updateKey('r', FAR, BOB)],
    [selectionKey('r', 36 + 7)], // just out of reach: more than keepWindows + 1 ahead
    [...checkpointFiles('r', FAR), aggregateKey('r', FAR)], // even a complete checkpoint
  ];
  for (const stray of strays) {
    const fresh = [...stored(live), ...stored(stray, 9_000_000)];
    assert.deepEqual(retentionPlan(fresh, options), baseline, `${stray[0]} written last`);
    const old = [...stored(stray, 0), ...stored(live)];
    assert.deepEqual(retentionPlan(old, options), baseline, `${stray[0]} written first`);
    for (const key of stray)
      assert.ok(!retentionPlan(fresh, options).includes(key), 'the stray itself stays');
  }
});

test('retention: after a chain reset the old windows do not age the new ones', () => {
  const old = windowsKeys('r', 500_000, 500_035);
  const fresh = windowsKeys('r', 0, 35);
  const options = { keepWindows: 5, keepCheckpoints: 2 };
  const plan = retentionPlan([...stored(old, 0), ...stored(fresh)], options);
  const freshKeys = new Set(fresh);
  assert.deepEqual(
    plan.filter((key) => freshKeys.has(key)),
    retentionPlan(stored(fresh), options),
    'the new chain loses what it would lose alone',
  );
  assert.ok(plan.includes(updateKey('r', 500_000, ALICE)), 'the old windows still age among themselves');
  assert.ok(
    !plan.includes(checkpointKeys('r', 500_030).manifest),
    "and the old chain's newest checkpoints stay",
  );
});

test("retention: a miner's bucket ages by the windows written after each one", () => {
  const updates = (from: number, to: number): string[] =>
    Array.from({ length: to - from + 1 }, (_, i) => updateKey('r', from + i, ALICE));
  const options = { keepWindows: 2, keepCheckpoints: 1 };
  assert.deepEqual(retentionPlan(stored(updates(0, 10)), options), updates(0, 7));
  // Back after a pause: the first window far ahead counts only once the next one follows it.
  const back = (to: number) => retentionPlan(stored([...updates(0, 10), ...updates(500, to)]), options);
  assert.deepEqual(back(500), updates(0, 7));
  assert.deepEqual(back(501), updates(0, 9));
  assert.deepEqual(back(502), updates(0, 10));
  // A stray within keepWindows + 1 of the newest window looks like the next window: it costs one window.
  const stray = (w: number) => retentionPlan(stored([...updates(0, 10), updateKey('r', w, BOB)]), options);
  assert.deepEqual(stray(13), updates(0, 8));
  assert.deepEqual(stray(14), updates(0, 7));
  // A window written late (scores of window 5 after window 10 began) ages from then on.
  const late = [...updates(0, 10), scoreKey('r', 5, ALICE)];
  const plan = retentionPlan(stored(late), options);
  assert.deepEqual(
    plan,
    [0, 1, 2, 3, 4, 6, 7].map((w) => updateKey('r', w, ALICE)),
  );
  // keepWindows 0 keeps the newest window only.
  assert.deepEqual(retentionPlan(stored(updates(0, 10)), { ...options, keepWindows: 0 }), updates(0, 9));
});

test('retention: bad options and times are refused', () => {
  for (const bad of [
    { keepWindows: -1, keepCheckpoints: 1 },
    { keepWindows: 1.5, keepCheckpoints: 1 },
    { keepWindows: 1, keepCheckpoints: 0 },
  ]) {
    assert.throws(
      () => retentionPlan([], bad),
      (e: unknown) => e instanceof Error && 'reason' in e && e.reason === 'BAD_RETENTION',
    );
  }
  assert.throws(
    () =>
      retentionPlan([{ key: selectionKey('r', 1), storedUnixMs: Number.NaN }], {
        keepWindows: 1,
        keepCheckpoints: 1,
      }),
    (e: unknown) => e instanceof Error && 'reason' in e && e.reason === 'BAD_RETENTION',
  );
});
