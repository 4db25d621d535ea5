import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from './errors.js';
import { findCopiers } from './score-copiers.js';

const seen = new Map([
  ['honest', 1_000],
  ['copier', 2_500],
  ['other', 1_200],
  ['twin', 1_000],
]);

test('the later-seen member of an overlapping pair is the copier', () => {
  const r = findCopiers(
    [
      { a: 'honest', b: 'copier', overlap: 0.9 },
      { a: 'honest', b: 'other', overlap: 0.02 },
      { a: 'other', b: 'copier', overlap: 0.41 },
    ],
    seen,
  );
  assert.deepEqual(r.copiers, [{ hotkey: 'copier', copied: 'honest', overlap: 0.9 }], 'its highest overlap');
  assert.deepEqual(r.ties, []);
  // Order of the pair does not matter.
  assert.deepEqual(
    findCopiers([{ a: 'copier', b: 'honest', overlap: 0.9 }], seen).copiers[0]?.hotkey,
    'copier',
  );
});

test('below the threshold, a tie in first-seen, or a member never seen: nobody is flagged', () => {
  assert.deepEqual(findCopiers([{ a: 'honest', b: 'copier', overlap: 0.39 }], seen).copiers, []);
  const tie = findCopiers([{ a: 'honest', b: 'twin', overlap: 0.95 }], seen);
  assert.deepEqual(tie.copiers, []);
  assert.deepEqual(tie.ties, [{ a: 'honest', b: 'twin', overlap: 0.95 }]);
  assert.deepEqual(findCopiers([{ a: 'honest', b: 'ghost', overlap: 0.95 }], seen).copiers, []);
});

test('hostile numbers are refused', () => {
  const bad = (e: unknown) => e instanceof InvalidArgumentError;
  assert.throws(() => findCopiers([{ a: 'a', b: 'b', overlap: Number.NaN }], seen), bad);
  assert.throws(() => findCopiers([{ a: 'a', b: 'b', overlap: 1.5 }], seen), bad);
  assert.throws(() => findCopiers([], seen, 0), bad);
});
