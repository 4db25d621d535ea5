import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { DEFAULT_WEIGHTS_SHAPE, initialPeerState } from '@cohort/core';
import {
  ExtrinsicOutcomeSchema,
  ExtrinsicOutcome_Status,
  SetWeightsResponse_Mode,
} from '@cohort/proto/cohort/chain/v1/chain_bridge';
import { planWeights, weightsResult, weightsShapeOf } from './weights-plan.js';

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

test("the operator's settings shape the weights: burn share and uid, gather and reserve counts", () => {
  const shape = weightsShapeOf({
    gatherPeerCount: 1,
    reservePeerCount: 0,
    weightsBurnShare: 0.25,
    weightsBurnUid: 9,
  });
  assert.equal(shape.gatherTopRatio, DEFAULT_WEIGHTS_SHAPE.gatherTopRatio, 'the rest is the protocol’s');
  const s = (finalScore: number) => ({ ...initialPeerState(), finalScore });
  const plan = planWeights(
    new Map([
      ['a', s(3)],
      ['b', s(1)],
    ]),
    new Map([
      ['a', 4],
      ['b', 2],
    ]),
    shape,
  );
  assert.deepEqual(plan, { uids: [4, 9], weights: [65535, 21845] }, 'one gather peer, 1/4 burned to uid 9');
  const all = planWeights(new Map([['a', s(3)]]), new Map([['a', 4]]), { ...shape, burnShare: 1 });
  assert.deepEqual(all, { uids: [9], weights: [65535] }, 'burning everything is a plan, not NaN');
});

test('a SetWeights answer: included direct is ok, included commit only committed, anything else failed', () => {
  const answer = (mode: SetWeightsResponse_Mode, status: ExtrinsicOutcome_Status) =>
    weightsResult({ mode, outcome: create(ExtrinsicOutcomeSchema, { status }) });
  assert.equal(answer(SetWeightsResponse_Mode.DIRECT, ExtrinsicOutcome_Status.INCLUDED), 'ok');
  assert.equal(answer(SetWeightsResponse_Mode.COMMIT, ExtrinsicOutcome_Status.INCLUDED), 'committed');
  assert.equal(answer(SetWeightsResponse_Mode.TIMELOCKED, ExtrinsicOutcome_Status.INCLUDED), 'committed');
  assert.equal(answer(SetWeightsResponse_Mode.DIRECT, ExtrinsicOutcome_Status.SKIPPED), 'ok');
  assert.equal(answer(SetWeightsResponse_Mode.COMMIT, ExtrinsicOutcome_Status.DISPATCH_ERROR), 'failed');
  assert.equal(answer(SetWeightsResponse_Mode.DIRECT, ExtrinsicOutcome_Status.DROPPED), 'failed');
  assert.equal(weightsResult({ mode: SetWeightsResponse_Mode.DIRECT, outcome: undefined }), 'failed');
});
