import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verdictsOf, weightRows } from './devnet-report.js';
import type { Participant } from './devnet-report.js';
import type { WindowRow } from './window-stats.js';

const row = (
  window: number,
  penalties: Record<string, string[]> = {},
  contributors: string[] = [],
): WindowRow => ({
  window,
  trainLoss: undefined,
  tokensPerSecond: undefined,
  updates: 0,
  updateBytes: 0,
  aggregateBytes: undefined,
  contributors,
  scores: {},
  penalties,
  scored: true,
});

const rows = [
  row(0, { hF: ['INACTIVE'], hC: ['INACTIVE'] }, ['h1', 'hF']),
  row(1, { hF: ['INACTIVE'] }, ['h1', 'hF']),
  row(2, { hF: ['HARMFUL', 'LOW_SCORE'] }, ['h1']),
  row(3, { hF: ['HARMFUL'], hC: ['COPIER'] }, ['h1', 'hC']),
  row(4, {}, ['h1']),
];

const flipped = { name: 'flipped', kind: 'flipped', hotkey: 'hF', uid: 5, expected: 'HARMFUL', actedIn: 2 };

test('verdict: caught in the first penalised window at or after the first act, reasons from then', () => {
  const [v] = verdictsOf([flipped], rows);
  assert.deepEqual(v, {
    name: 'flipped',
    kind: 'flipped',
    expected: 'HARMFUL',
    actedIn: 2,
    caughtIn: 2,
    // INACTIVE from windows 0 and 1 (before it acted) is not held against it; sorted, once each.
    reasons: ['HARMFUL', 'LOW_SCORE'],
    aggregatedIn: [0, 1],
  });
});

test('verdict: penalties before the first act do not count as catching it', () => {
  const copier = { name: 'copier', kind: 'copier', hotkey: 'hC', uid: 6, actedIn: 1 };
  const [v] = verdictsOf([copier], rows);
  assert.equal(v!.caughtIn, 3);
  assert.deepEqual(v!.reasons, ['COPIER']);
  assert.equal(v!.expected, '');
  assert.deepEqual(v!.aggregatedIn, [3]);
});

test('verdict: an adversary that never acted is never caught and has no reasons', () => {
  const [v] = verdictsOf([{ ...flipped, actedIn: undefined }], rows);
  assert.equal(v!.actedIn, undefined);
  assert.equal(v!.caughtIn, undefined);
  assert.deepEqual(v!.reasons, []);
  // Inclusion in the aggregate is reported whatever it did.
  assert.deepEqual(v!.aggregatedIn, [0, 1]);
});

test('verdict: acting after the last penalty is never caught', () => {
  const [v] = verdictsOf([{ ...flipped, actedIn: 4 }], rows);
  assert.equal(v!.caughtIn, undefined);
  assert.deepEqual(v!.reasons, []);
});

const participants: Participant[] = [
  { name: 'miner-1', kind: 'honest', hotkey: 'h1', uid: 1 },
  { name: 'miner-2', kind: 'honest', hotkey: 'h2', uid: 2 },
  { name: 'flipped', kind: 'flipped', hotkey: 'hF', uid: 5 },
  { name: 'late', kind: 'late', hotkey: 'hL', uid: undefined },
];

test('weights: normalised over the participants only, highest first', () => {
  // uid 0 (the validator) and uid 9 (not in the run) are left out of the total.
  const byUid = new Map([
    [0, 65535],
    [1, 300],
    [2, 100],
    [5, 0],
    [9, 1000],
  ]);
  assert.deepEqual(weightRows(participants, byUid), [
    { name: 'miner-1', kind: 'honest', uid: 1, weight: 0.75 },
    { name: 'miner-2', kind: 'honest', uid: 2, weight: 0.25 },
    { name: 'flipped', kind: 'flipped', uid: 5, weight: 0 },
    { name: 'late', kind: 'late', uid: undefined, weight: 0 },
  ]);
});

test('weights: a participant with no weight on chain gets 0; the rest still sum to 1', () => {
  const rowsOf = weightRows(participants, new Map([[2, 7]]));
  assert.deepEqual(
    rowsOf.map((w) => [w.name, w.weight]),
    [
      ['miner-2', 1],
      ['miner-1', 0],
      ['flipped', 0],
      ['late', 0],
    ],
  );
});

test('weights: a zero total gives zeros, not NaN', () => {
  for (const byUid of [new Map<number, number>(), new Map([[1, 0]]), new Map([[9, 100]])]) {
    const ws = weightRows(participants, byUid);
    assert.deepEqual(
      ws.map((w) => w.weight),
      [0, 0, 0, 0],
    );
    assert.deepEqual(
      ws.map((w) => w.name),
      participants.map((p) => p.name),
    );
  }
});
