import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from './errors.js';
import { binaryIndicator, emaStep, gradientScore } from './score-signals.js';

const reason = (expected: string) => (e: unknown) =>
  e instanceof InvalidArgumentError && e.reason === expected;

test('gradient score is the relative improvement on control pages', () => {
  const m = { assignedBefore: 4, assignedAfter: 3, randomBefore: 5, randomAfter: 4.5 };
  assert.equal(gradientScore(m), 0.1);
  assert.equal(gradientScore({ ...m, randomAfter: 5.5 }), -0.1, 'a harmful update scores negative');
});

test('the binary indicator rewards training on the assigned pages, and a do-nothing update loses', () => {
  const honest = { assignedBefore: 4, assignedAfter: 3, randomBefore: 4, randomAfter: 3.8 };
  assert.equal(binaryIndicator(honest), 1);
  const lazy = { assignedBefore: 4, assignedAfter: 3.8, randomBefore: 4, randomAfter: 3.8 };
  assert.equal(binaryIndicator(lazy), -1, 'no edge on its own pages');
  const zero = { assignedBefore: 4, assignedAfter: 4, randomBefore: 4, randomAfter: 4 };
  assert.equal(binaryIndicator(zero), -1);
});

test('non-finite or non-positive losses are refused, never scored', () => {
  const m = { assignedBefore: 4, assignedAfter: 3, randomBefore: 5, randomAfter: 4.5 };
  for (const bad of [Number.NaN, Infinity, 0, -1]) {
    assert.throws(() => gradientScore({ ...m, randomAfter: bad }), reason('SCORE_BAD_LOSS'));
    assert.throws(() => binaryIndicator({ ...m, assignedBefore: bad }), reason('SCORE_BAD_LOSS'));
  }
});

test('EMA steps', () => {
  assert.equal(emaStep(0, 1, 0.05), 0.05);
  assert.ok(Math.abs(emaStep(0.05, -1, 0.05) - (0.95 * 0.05 - 0.05)) < 1e-15);
  assert.throws(() => emaStep(0, 1, 0), reason('SCORE_BAD_POLICY'));
});
