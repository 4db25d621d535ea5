import assert from 'node:assert/strict';
import { test } from 'node:test';
import { niceTicks } from './nice-ticks.js';
import { formatCompact, tickFormatter } from './tick-format.js';

/** The labels of the nice ticks over [lo, hi]. */
function labels(lo: number, hi: number, target = 6): string[] {
  const ticks = niceTicks(lo, hi, { target });
  const format = tickFormatter(ticks.values, ticks.step);
  return ticks.values.map(format);
}

test('an axis shares one unit and one number of decimals', () => {
  assert.deepEqual(labels(0, 1), ['0', '0.2', '0.4', '0.6', '0.8', '1.0']);
  assert.deepEqual(labels(0, 1500, 4), ['0', '500', '1000', '1500']);
  assert.deepEqual(labels(0, 45_000), ['0', '10k', '20k', '30k', '40k', '50k']);
  assert.deepEqual(labels(0, 3.4e6, 8), ['0', '0.5M', '1.0M', '1.5M', '2.0M', '2.5M', '3.0M', '3.5M']);
  assert.deepEqual(labels(1e6, 1.2e6, 5), ['1.00M', '1.05M', '1.10M', '1.15M', '1.20M']);
  assert.deepEqual(labels(0, 2e9, 3), ['0', '1G', '2G']);
});

test('tiny and huge magnitudes use compact scientific labels', () => {
  assert.deepEqual(labels(0, 2.6e-4, 6), ['0', '5.0e−5', '1.0e−4', '1.5e−4', '2.0e−4', '2.5e−4', '3.0e−4']);
  assert.deepEqual(labels(0, 1.1e18, 6), ['0', '2.0e17', '4.0e17', '6.0e17', '8.0e17', '1.0e18', '1.2e18']);
});

test('negative labels use the minus sign', () => {
  assert.deepEqual(labels(-2000, 0, 3), ['−2000', '−1000', '0']);
  assert.deepEqual(labels(-30_000, 10_000, 5), ['−30k', '−20k', '−10k', '0', '10k']);
});

test('formatCompact keeps about three significant digits', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [1234, '1234'],
    [12_345, '12.3k'],
    [3.4e6, '3.4M'],
    [2.5e-4, '2.5e−4'],
    [-0.5, '−0.5'],
    [0.123456, '0.123'],
    [1e20, '1e20'],
    [Number.NaN, 'NaN'],
  ];
  for (const [value, text] of cases) assert.equal(formatCompact(value), text, String(value));
});
