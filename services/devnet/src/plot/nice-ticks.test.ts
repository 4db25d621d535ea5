import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logTicks, niceNumber, niceTicks, widenRange } from './nice-ticks.js';

test('niceNumber rounds to 1, 2, 5 or 10 times a power of ten', () => {
  const rounded: [number, number][] = [
    [1.2, 1],
    [1.6, 2],
    [3.1, 5],
    [7.5, 10],
    [0.00042, 0.0005],
    [23_000, 20_000],
  ];
  for (const [x, nice] of rounded) assert.equal(niceNumber(x, true), nice, String(x));
  assert.equal(niceNumber(1.01, false), 2);
  assert.equal(niceNumber(5, false), 5);
  assert.equal(niceNumber(5.1, false), 10);
  assert.equal(niceNumber(5e-5, true), 5e-5); // no binary noise (4.9999…e-5)
});

test('niceTicks covers the data with 1-2-5 steps and ends on ticks', () => {
  const cases: [number, number, number[]][] = [
    [0, 100, [0, 20, 40, 60, 80, 100]],
    [0.13, 0.87, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]],
    [2.1, 5.5, [2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5]],
    [-2000, 1000, [-2000, -1500, -1000, -500, 0, 500, 1000]],
    [0, 0.3, [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]],
  ];
  for (const [lo, hi, expected] of cases) {
    const ticks = niceTicks(lo, hi);
    assert.deepEqual(ticks.values, expected, `${lo}..${hi}`);
    assert.equal(ticks.min, expected[0]);
    assert.equal(ticks.max, expected[expected.length - 1]);
  }
  assert.deepEqual(niceTicks(0, 1e18, { target: 3 }).values, [0, 5e17, 1e18]);
  assert.deepEqual(niceTicks(0, 3e-4, { target: 4 }).values, [0, 1e-4, 2e-4, 3e-4]);
});

test('integer ticks never step below 1', () => {
  assert.deepEqual(niceTicks(0, 3, { target: 10, integer: true }).values, [0, 1, 2, 3]);
  assert.deepEqual(niceTicks(0, 9, { integer: true }).values, [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(niceTicks(5, 5, { integer: true }).values, [4, 5, 6]);
});

test('degenerate ranges widen instead of producing a zero-width axis', () => {
  assert.deepEqual(widenRange(7, 7), [6.3, 7.7]);
  assert.deepEqual(widenRange(0, 0), [-1, 1]);
  assert.deepEqual(widenRange(Number.NaN, 3), [0, 1]);
  assert.deepEqual(widenRange(4, 2), [2, 4]);
  const flat = niceTicks(7, 7);
  assert.ok(flat.min < 7 && flat.max > 7 && flat.values.length >= 3);
  assert.deepEqual(niceTicks(Number.NaN, Number.POSITIVE_INFINITY).values, [0, 0.2, 0.4, 0.6, 0.8, 1]);
});

test('logTicks uses 1-2-5 over a short span and skips decades over a long one', () => {
  assert.deepEqual(logTicks(2, 6).values, [2, 5, 10]);
  assert.deepEqual(logTicks(0.05, 4000).values, [0.01, 1, 100, 10_000]);
  assert.deepEqual(logTicks(1e-3, 1e9, 6).values, [1e-3, 1, 1e3, 1e6, 1e9]);
  assert.equal(logTicks(3, 3).step, null);
  // Nothing positive to show: a default decade rather than a throw.
  assert.deepEqual(logTicks(0, -5).values, [1, 2, 5, 10]);
});
