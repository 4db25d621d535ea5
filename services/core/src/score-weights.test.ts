import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from './errors.js';
import { DEFAULT_WEIGHTS_SHAPE, weightsFromScores } from './score-weights.js';

const sum = (m: Map<number, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
const near = (a: number, b: number, eps = 5e-4): boolean => Math.abs(a - b) < eps;

test("the reference's worked example: 20 gather + 10 reserve, half burned", () => {
  const scores = Array.from({ length: 40 }, (_, i) => ({ uid: i + 1, score: 100 - i }));
  const w = weightsFromScores(scores);
  assert.ok(near(sum(w), 1, 1e-12));
  assert.equal(w.get(0), 0.5, 'burn');
  assert.ok(near(w.get(1)!, 0.032), `top gather ${w.get(1)}`);
  assert.ok(near(w.get(20)!, 0.016), `last gather ${w.get(20)}`);
  assert.ok(near(w.get(1)! / w.get(20)!, 2, 1e-9), 'a 2→1 ramp');
  assert.ok(near(w.get(21)!, 0.008), `first reserve ${w.get(21)}`);
  assert.ok(near(w.get(22)! / w.get(21)!, 0.5, 1e-9), 'geometric reserves');
  assert.ok(w.get(21)! <= w.get(20)! * 0.5 + 1e-15, 'a reserve never outweighs half the last gather');
  assert.equal(w.has(31), false, 'nobody past the reserve');
});

test('only positive scores earn weight; ties by uid; none positive burns everything', () => {
  const w = weightsFromScores([
    { uid: 7, score: 1 },
    { uid: 3, score: 1 },
    { uid: 9, score: 0 },
    { uid: 4, score: -2 },
    { uid: 5, score: Number.NaN },
  ]);
  assert.deepEqual([...w.keys()], [0, 3, 7]);
  assert.ok(w.get(3)! > w.get(7)!, 'the lower uid wins a tie');
  assert.ok(near(sum(w), 1, 1e-12));
  assert.deepEqual([...weightsFromScores([{ uid: 2, score: -1 }])], [[0, 1]]);
  assert.deepEqual([...weightsFromScores([])], [[0, 1]]);
});

test('a single gather peer gets all the non-burn weight; a bad shape is refused', () => {
  assert.deepEqual(
    [...weightsFromScores([{ uid: 4, score: 3 }])],
    [
      [0, 0.5],
      [4, 0.5],
    ],
  );
  assert.throws(
    () => weightsFromScores([], { ...DEFAULT_WEIGHTS_SHAPE, gatherTopRatio: 0.5 }),
    (e) => e instanceof InvalidArgumentError && e.reason === 'SCORE_BAD_POLICY',
  );
});

test('a burn share of 1 burns everything (no NaN weights); 0 burns nothing', () => {
  const scores = [
    { uid: 4, score: 3 },
    { uid: 2, score: 1 },
  ];
  const all = weightsFromScores(scores, { ...DEFAULT_WEIGHTS_SHAPE, burnShare: 1, burnUid: 7 });
  assert.deepEqual([...all], [[7, 1]]);
  const none = weightsFromScores(scores, { ...DEFAULT_WEIGHTS_SHAPE, burnShare: 0 });
  assert.deepEqual([...none.keys()], [2, 4], 'no burn uid without a burn share');
  assert.ok(near(sum(none), 1, 1e-12));
  const almost = weightsFromScores(scores, { ...DEFAULT_WEIGHTS_SHAPE, burnShare: 1 - 1e-9 });
  assert.ok([...almost.values()].every(Number.isFinite), 'a live share of 1e-9 still divides');
  assert.ok(near(sum(almost), 1, 1e-12));
});
