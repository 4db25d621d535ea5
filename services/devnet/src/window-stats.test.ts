import assert from 'node:assert/strict';
import { test } from 'node:test';
import { windowRows } from './window-stats.js';
import type { Rec, WindowInputs } from './window-stats.js';

const trained = (window: number, losses: (number | null)[], tokensPerSecond?: number): Rec => ({
  event: 'window_trained',
  window,
  losses,
  ...(tokensPerSecond === undefined ? {} : { tokensPerSecond }),
});

const inputs: WindowInputs = {
  miners: new Map<string, Rec[]>([
    [
      'hA',
      [
        { event: 'update_uploaded', window: 1 },
        trained(1, [5, 4.5, 4], 100),
        trained(2, [4, 3.5, null], 120),
      ],
    ],
    ['hB', [trained(1, [5, 4.5, 3], 50), trained(2, [], 80)]],
  ]),
  validator: [
    { event: 'window_started', window: 1 },
    {
      event: 'window_scored',
      window: 1,
      faults: { hX: 'BAD_PAYLOAD' },
      copiers: { hC: 'hA' },
      penalties: { hC: ['COPIER', 'LOW_SCORE'], hX: ['BAD_PAYLOAD'], hD: ['HARMFUL'] },
      inactive: ['hI', 'hC'],
      finalScores: { hA: 0.5, hB: 0.25 },
    },
    { event: 'window_scored', window: 2 },
  ],
  aggregator: [
    { event: 'aggregate_published', window: 1, bytes: 1234, included: ['hA', 'hB'] },
    { event: 'aggregate_published', window: 2 },
    { event: 'aggregate_skipped', window: 3, bytes: 9 },
  ],
  updates: [
    { window: 1, hotkey: 'hA', bytes: 100 },
    { window: 1, hotkey: 'hB', bytes: 110 },
    { window: 1, hotkey: 'hC', bytes: 100 },
    { window: 2, hotkey: 'hA', bytes: 90 },
    { window: 4, hotkey: 'hA', bytes: 1 },
  ],
};

test('one row per window from first to last, in order', () => {
  assert.deepEqual(
    windowRows(inputs, 0, 3).map((r) => r.window),
    [0, 1, 2, 3],
  );
  assert.deepEqual(windowRows(inputs, 2, 1), []);
});

test("train loss is the mean of each miner's last loss; throughput is summed", () => {
  const [w1, w2] = windowRows(inputs, 1, 2);
  assert.equal(w1!.trainLoss, (4 + 3) / 2);
  assert.equal(w1!.tokensPerSecond, 150);
  // hA's last finite loss is 3.5; hB logged no losses and does not count towards the mean.
  assert.equal(w2!.trainLoss, 3.5);
  assert.equal(w2!.tokensPerSecond, 200);
});

test('updates and their bytes are counted per window from the listing', () => {
  const [w0, w1, w2] = windowRows(inputs, 0, 2);
  assert.deepEqual([w0!.updates, w0!.updateBytes], [0, 0]);
  assert.deepEqual([w1!.updates, w1!.updateBytes], [3, 310]);
  assert.deepEqual([w2!.updates, w2!.updateBytes], [1, 90]);
});

test('the published aggregate gives bytes and contributors', () => {
  const [w1, w2, w3] = windowRows(inputs, 1, 3);
  assert.equal(w1!.aggregateBytes, 1234);
  assert.deepEqual(w1!.contributors, ['hA', 'hB']);
  // Published without figures: undefined bytes, nobody listed.
  assert.equal(w2!.aggregateBytes, undefined);
  assert.deepEqual(w2!.contributors, []);
  // Another event does not count as a publication.
  assert.equal(w3!.aggregateBytes, undefined);
});

test('penalties merge faults, copiers, penalties and inactive without duplicates', () => {
  const [w1] = windowRows(inputs, 1, 1);
  assert.deepEqual(w1!.penalties, {
    hX: ['BAD_PAYLOAD'],
    hC: ['COPIER', 'LOW_SCORE', 'INACTIVE'],
    hD: ['HARMFUL'],
    hI: ['INACTIVE'],
  });
  assert.deepEqual(w1!.scores, { hA: 0.5, hB: 0.25 });
  assert.equal(w1!.scored, true);
});

test('a scored window without details has no penalties and no scores, but is scored', () => {
  const [w2] = windowRows(inputs, 2, 2);
  assert.equal(w2!.scored, true);
  assert.deepEqual(w2!.penalties, {});
  assert.deepEqual(w2!.scores, {});
});

test('a window without data has undefined figures, not zeros', () => {
  const [w0] = windowRows(inputs, 0, 0);
  assert.deepEqual(w0, {
    window: 0,
    trainLoss: undefined,
    tokensPerSecond: undefined,
    updates: 0,
    updateBytes: 0,
    aggregateBytes: undefined,
    contributors: [],
    scores: {},
    penalties: {},
    scored: false,
  });
});

test('non-numeric losses and throughput are ignored rather than counted as zero', () => {
  const odd: WindowInputs = {
    miners: new Map<string, Rec[]>([
      ['hA', [{ event: 'window_trained', window: 5, losses: 'n/a', tokensPerSecond: 'fast' }]],
      ['hB', [{ event: 'window_trained', window: 5, losses: [2, 'x'], tokensPerSecond: 10 }]],
    ]),
    validator: [],
    aggregator: [],
    updates: [],
  };
  const [w5] = windowRows(odd, 5, 5);
  assert.equal(w5!.trainLoss, 2);
  assert.equal(w5!.tokensPerSecond, 10);
});
