import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planRanges } from './range-plan.js';

describe('planRanges', () => {
  test('adjacent samples share a range; distant ones do not', () => {
    assert.deepEqual(planRanges([7, 3, 4, 5, 20], { maxSamples: 100, maxGap: 0 }), [
      { first: 3, count: 3 },
      { first: 7, count: 1 },
      { first: 20, count: 1 },
    ]);
  });

  test('a gap up to maxGap is spanned, a longer one is not', () => {
    assert.deepEqual(planRanges([1, 4, 9], { maxSamples: 100, maxGap: 2 }), [
      { first: 1, count: 4 },
      { first: 9, count: 1 },
    ]);
  });

  test('no range is longer than maxSamples, and each starts and ends on a wanted sample', () => {
    const wanted = [0, 1, 2, 3, 4, 5, 6, 8, 9];
    const plan = planRanges(wanted, { maxSamples: 4, maxGap: 1 });
    assert.deepEqual(plan, [
      { first: 0, count: 4 },
      { first: 4, count: 3 },
      { first: 8, count: 2 },
    ]);
    for (const r of plan) {
      assert.ok(wanted.includes(r.first) && wanted.includes(r.first + r.count - 1));
    }
  });

  test('duplicates are fetched once; nothing wanted, nothing planned', () => {
    assert.deepEqual(planRanges([5, 5, 5], { maxSamples: 8, maxGap: 0 }), [{ first: 5, count: 1 }]);
    assert.deepEqual(planRanges([], { maxSamples: 8, maxGap: 0 }), []);
  });

  test('every wanted sample is covered exactly once (seeded random sets)', () => {
    let state = 12345;
    const rand = (n: number): number => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state % n;
    };
    for (let round = 0; round < 200; round++) {
      const wanted = Array.from({ length: rand(40) }, () => rand(300));
      const limits = { maxSamples: 1 + rand(10), maxGap: rand(5) };
      const plan = planRanges(wanted, limits);
      const covered = new Map<number, number>();
      for (const r of plan) {
        assert.ok(r.count >= 1 && r.count <= limits.maxSamples);
        for (let s = r.first; s < r.first + r.count; s++) covered.set(s, (covered.get(s) ?? 0) + 1);
      }
      for (const w of wanted) assert.equal(covered.get(w), 1);
      for (let i = 1; i < plan.length; i++)
        assert.ok(plan[i]!.first >= plan[i - 1]!.first + plan[i - 1]!.count);
    }
  });
});
