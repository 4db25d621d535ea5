import assert from 'node:assert/strict';
import { test } from 'node:test';
import { overlapOf, pairwiseOverlaps, prepareIndices } from './index-overlap.js';

const set = (name: string, ...indices: number[]) => ({ name, indices: Uint32Array.from(indices) });

test('overlap is the shared share of kept indices, per tensor name, order-free', () => {
  const a = prepareIndices([set('w', 9, 1, 5, 7), set('b', 0, 2)]);
  const b = prepareIndices([set('w', 1, 7, 8, 6), set('b', 2, 3)]);
  assert.equal(overlapOf(a, b), 3 / 6);
  assert.equal(overlapOf(b, a), 3 / 6, 'symmetric');
  assert.equal(overlapOf(a, a), 1);
  // Same indices under another tensor's name are not shared.
  assert.equal(overlapOf(prepareIndices([set('x', 1, 5)]), prepareIndices([set('y', 1, 5)])), 0);
});

test("a copier keeping a subset of its victim's indices is fully overlapping", () => {
  const victim = prepareIndices([set('w', ...Array.from({ length: 64 }, (_, i) => i * 3))]);
  const subset = prepareIndices([set('w', ...Array.from({ length: 16 }, (_, i) => i * 6))]);
  assert.equal(overlapOf(subset, victim), 1);
  assert.equal(overlapOf(prepareIndices([]), victim), 0, 'an empty payload overlaps nothing');
});

test('pairwise overlaps list each unordered pair once, in hotkey order', () => {
  const p = new Map([
    ['c', prepareIndices([set('w', 1, 2)])],
    ['a', prepareIndices([set('w', 1, 2)])],
    ['b', prepareIndices([set('w', 3, 4)])],
  ]);
  assert.deepEqual(pairwiseOverlaps(p), [
    { a: 'a', b: 'b', overlap: 0 },
    { a: 'a', b: 'c', overlap: 1 },
    { a: 'b', b: 'c', overlap: 0 },
  ]);
});
