import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from './errors.js';
import { findCopiers, samplePairs } from './score-copiers.js';

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

test('samplePairs: pairs with a scored member only, so a copier of an unjudged victim is still caught', () => {
  const victim = BigUint64Array.from([1n, 5n, 9n, 12n, 40n]);
  const samples = new Map([
    ['copier', BigUint64Array.from([1n, 5n, 9n, 12n, 41n])], // 4 of 5 in common with the victim
    ['victim', victim], // unjudged: sampled by a sample job only
    ['other', BigUint64Array.from([2n, 6n, 10n, 13n, 42n])],
    ['unjudged2', BigUint64Array.from([1n, 5n, 9n, 12n, 40n])], // identical to the victim, not scored
    ['empty', new BigUint64Array()], // a sample job that found nothing kept: never compared
  ]);
  const scored = new Set(['copier', 'other', 'empty']);
  const pairs = samplePairs(samples, scored);
  const names = pairs.map((p) => `${p.a}|${p.b}`);
  assert.deepEqual(names, [
    'copier|other',
    'copier|unjudged2',
    'copier|victim',
    'other|unjudged2',
    'other|victim',
  ]);
  assert.equal(pairs.find((p) => p.b === 'victim' && p.a === 'copier')?.overlap, 0.8);
  assert.equal(pairs.find((p) => p.a === 'other' && p.b === 'victim')?.overlap, 0);
  const firstSeen = new Map([
    ['victim', 1_000],
    ['copier', 3_000],
    ['other', 1_500],
    ['unjudged2', 2_000],
  ]);
  const report = findCopiers(pairs, firstSeen);
  assert.deepEqual(report.copiers, [{ hotkey: 'copier', copied: 'unjudged2', overlap: 0.8 }]);
  // Without the unjudged samples (the old check: scored updates only) the copier went free.
  const scoredOnly = new Map([...samples].filter(([h]) => scored.has(h)));
  assert.deepEqual(findCopiers(samplePairs(scoredOnly, scored), firstSeen).copiers, []);
});
