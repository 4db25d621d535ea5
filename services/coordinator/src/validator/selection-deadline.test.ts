import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluationDeadlineMs, selectionMarginMs } from './selection-deadline.js';

test('the default timings: the selection deadline cuts the evaluation timeout short', () => {
  // Slot closed at 1000; the slot's last poll and the metagraph took 2 s.
  const deadline = evaluationDeadlineMs({
    nowMs: 3000,
    closeMs: 1000,
    evaluationTimeoutMs: 60_000,
    selectionDeadlineMs: 45_000,
  });
  assert.equal(deadline, 1000 + 45_000 - 4500, 'a tenth of 45 s as margin');
  assert.ok(deadline < 1000 + 60_000, "well before the aggregator's default selectionWaitMs");
});

test('a short evaluation timeout stands; the margin is at most 5 s', () => {
  assert.equal(
    evaluationDeadlineMs({
      nowMs: 3000,
      closeMs: 1000,
      evaluationTimeoutMs: 10_000,
      selectionDeadlineMs: 45_000,
    }),
    13_000,
  );
  assert.equal(selectionMarginMs(600_000), 5000);
  assert.equal(selectionMarginMs(8000), 800, 'devnet-sized windows keep most of their time');
  assert.equal(selectionMarginMs(0), 0);
});
