import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLIP_EPSILON, clipFactor, clipReferences, smallestClipFactor } from './clip-references.js';

test('the references are the per-tensor lower medians, whatever the order of the updates', () => {
  const norms = [
    [1, 40, 0.5],
    [3, 10, 0.25],
    [2, 20, 4],
    [100, 30, 8],
  ];
  // Lower median of four: the second smallest.
  assert.deepEqual(clipReferences(norms), [2, 20, 0.5]);
  assert.deepEqual(clipReferences([...norms].reverse()), [2, 20, 0.5]);
  assert.deepEqual(clipReferences(norms.slice(0, 3)), [2, 20, 0.5]);
  // One update: its own norms (measured unclipped, as an aggregate of one is).
  assert.deepEqual(clipReferences([[5, 6]]), [5, 6]);
  assert.deepEqual(clipReferences([]), []);
});

test('lists that are no norm vector of the model are ignored', () => {
  const honest = [
    [1, 2],
    [3, 4],
    [5, 6],
  ];
  assert.deepEqual(clipReferences([...honest, [0, 0, 0]]), [3, 4], 'another length than most');
  assert.deepEqual(clipReferences([...honest, [Number.NaN, 1]]), [3, 4], 'non-finite');
  assert.deepEqual(clipReferences([...honest, [Number.POSITIVE_INFINITY, 1]]), [3, 4], 'infinite');
  assert.deepEqual(clipReferences([...honest, [-1, 1]]), [3, 4], 'negative');
  assert.deepEqual(clipReferences([...honest, []]), [3, 4], 'empty');
  assert.deepEqual(clipReferences([[Number.NaN], [-2]]), [], 'nothing usable');
  // A tie between lengths goes to the longer list.
  assert.deepEqual(clipReferences([[1], [2, 7]]), [2, 7]);
});

test('the factor clips only updates above the reference, to the reference', () => {
  assert.equal(clipFactor(1, 10), 1);
  assert.equal(clipFactor(10, 10), 10 / (10 + CLIP_EPSILON));
  assert.ok(Math.abs(clipFactor(50, 10) * 50 - 10) < 1e-6);
  assert.equal(clipFactor(0, 0), 0, 'a zero reference zeroes the tensor');
  assert.equal(smallestClipFactor([1, 50, 4], [10, 10, 2]), clipFactor(50, 10));
  assert.equal(smallestClipFactor([1, 2], [10, 10]), 1, 'nothing clipped');
  assert.equal(smallestClipFactor([1, 2], []), 1, 'no references: unclipped');
});
