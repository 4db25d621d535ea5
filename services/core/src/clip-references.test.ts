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
  assert.deepEqual(clipReferences(norms), { references: [2, 20, 0.5], from: 4 });
  assert.deepEqual(clipReferences([...norms].reverse()).references, [2, 20, 0.5]);
  assert.deepEqual(clipReferences(norms.slice(0, 3)), { references: [2, 20, 0.5], from: 3 });
  // One update: its own norms (measured unclipped, as an aggregate of one is).
  assert.deepEqual(clipReferences([[5, 6]]), { references: [5, 6], from: 1 });
  assert.deepEqual(clipReferences([]), { references: [], from: 0 });
});

test('lists that are no norm vector of the model are ignored', () => {
  const honest = [
    [1, 2],
    [3, 4],
    [5, 6],
  ];
  assert.deepEqual(clipReferences([...honest, [0, 0, 0]]), { references: [3, 4], from: 3 }, 'another length');
  assert.deepEqual(clipReferences([...honest, [Number.NaN, 1]]).references, [3, 4], 'non-finite');
  assert.deepEqual(clipReferences([...honest, [Number.POSITIVE_INFINITY, 1]]).references, [3, 4], 'infinite');
  assert.deepEqual(clipReferences([...honest, [-1, 1]]).references, [3, 4], 'negative');
  assert.deepEqual(clipReferences([...honest, []]).references, [3, 4], 'empty');
  assert.deepEqual(clipReferences([[Number.NaN], [-2]]), { references: [], from: 0 }, 'nothing usable');
  // A tie between lengths goes to the longer list.
  assert.deepEqual(clipReferences([[1], [2, 7]]), { references: [2, 7], from: 1 });
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
