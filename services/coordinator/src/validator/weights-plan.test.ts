import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initialPeerState } from '@cohort/core';
import { planWeights } from './weights-plan.js';

test('scores of registered peers become u16 weights with the burn share; unregistered ones drop out', () => {
  const s = (finalScore: number) => ({ ...initialPeerState(), finalScore });
  const states = new Map([
    ['a', s(3)],
    ['b', s(1)],
    ['gone', s(9)],
    ['cheat', s(0)],
  ]);
  const uids = new Map([
    ['a', 4],
    ['b', 2],
    ['cheat', 5],
  ]);
  const plan = planWeights(states, uids);
  assert.deepEqual(plan.uids, [0, 2, 4]);
  assert.equal(Math.max(...plan.weights), 65535);
  assert.equal(plan.weights[0], 65535, 'the burn uid holds half of everything: the largest single weight');
  assert.ok(plan.weights[2]! > plan.weights[1]!, 'a ranks above b');
  assert.deepEqual(planWeights(new Map(), uids), { uids: [0], weights: [65535] });
});
