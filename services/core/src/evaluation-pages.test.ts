import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CohortError } from './errors.js';
import { evaluationPages, evaluationSeed } from './evaluation-pages.js';
import { controlPagesFor, pagesFor } from './sampler.js';

const HOTKEY = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const base = { runId: 'devnet', hotkey: HOTKEY, window: 7, poolSize: 5000 };
const assigned = pagesFor({ ...base, count: 240 });
const secret = new Uint8Array(32).fill(9);

test('seeds are per window, per secret and per run, and need a long secret', () => {
  const s7 = evaluationSeed(secret, 'devnet', 7);
  assert.equal(s7.length, 32);
  assert.deepEqual(evaluationSeed(secret, 'devnet', 7), s7, 'deterministic');
  assert.notDeepEqual(evaluationSeed(secret, 'devnet', 8), s7);
  assert.notDeepEqual(evaluationSeed(new Uint8Array(32).fill(8), 'devnet', 7), s7);
  assert.notDeepEqual(evaluationSeed(secret, 'other', 7), s7);
  assert.throws(
    () => evaluationSeed(new Uint8Array(16), 'devnet', 7),
    (e) => e instanceof CohortError && e.reason === 'EVALUATION_SECRET_SHORT',
  );
});

test('without a seed: the public draw (first assigned pages, controlPagesFor)', () => {
  const pages = evaluationPages({ ...base, assigned, count: 8, seed: new Uint8Array() });
  assert.deepEqual(pages.assigned, assigned.slice(0, 8));
  assert.deepEqual(pages.control, controlPagesFor({ ...base, count: 8 }));
});

test('with a seed: a subset of the assigned pages and control pages nobody could compute beforehand', () => {
  const seed = evaluationSeed(secret, 'devnet', 7);
  const pages = evaluationPages({ ...base, assigned, count: 8, seed });
  assert.equal(pages.assigned.length, 8);
  assert.equal(new Set(pages.assigned).size, 8, 'distinct');
  for (const p of pages.assigned) assert.ok(assigned.includes(p), 'measured pages are assigned pages');
  assert.notDeepEqual(pages.assigned, assigned.slice(0, 8), 'not the first batch');
  assert.notDeepEqual(pages.control, controlPagesFor({ ...base, count: 8 }), 'not the public control draw');
  assert.equal(new Set(pages.control).size, 8);
  assert.ok(pages.control.every((p) => p >= 0 && p < base.poolSize));
  assert.deepEqual(
    evaluationPages({ ...base, assigned, count: 8, seed }),
    pages,
    'reproducible from the seed',
  );
  const other = evaluationPages({ ...base, assigned, count: 8, seed: evaluationSeed(secret, 'devnet', 8) });
  assert.notDeepEqual(other.control, pages.control, 'another seed, other pages');
  // Over many seeds the measured subset covers the whole assignment, not only its start.
  const covered = new Set<number>();
  for (let w = 0; w < 200; w++) {
    for (const p of evaluationPages({
      ...base,
      assigned,
      count: 8,
      seed: evaluationSeed(secret, 'devnet', w),
    }).assigned)
      covered.add(assigned.indexOf(p));
  }
  assert.ok(covered.size > 200, `positions covered: ${covered.size} of 240`);
});

test('a seed of another length is refused; a count above the pools is clamped', () => {
  assert.throws(
    () => evaluationPages({ ...base, assigned, count: 8, seed: new Uint8Array(31) }),
    (e) => e instanceof CohortError && e.reason === 'EVALUATION_SEED_INVALID',
  );
  const seed = evaluationSeed(secret, 'devnet', 7);
  const small = evaluationPages({ ...base, poolSize: 4, assigned: [3, 1], count: 8, seed });
  assert.equal(small.control.length, 4);
  assert.deepEqual([...small.assigned].sort(), [1, 3]);
});
