import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ScoreResultSchema } from '@cohort/proto/cohort/gauntlet/v1/gauntlet';
import { evaluationOf } from './evaluations.js';

const measured = (clipFactorMin?: number) =>
  evaluationOf(
    create(ScoreResultSchema, {
      hotkey: 'h',
      fault: '',
      lossAssignedBefore: 3,
      lossAssignedAfter: 2.9,
      lossRandomBefore: 3,
      lossRandomAfter: 2.95,
      updateNorm: 1.5,
      tensorNorms: [1, 1.1],
      ...(clipFactorMin === undefined ? {} : { clipFactorMin }),
    }),
  );

test('the clip factor is read with explicit presence: absent is not reported, 0 is a real factor', () => {
  const factor = (clipFactorMin?: number): number | undefined => {
    const { outcome } = measured(clipFactorMin);
    assert.equal(outcome.kind, 'measured');
    return outcome.kind === 'measured' ? outcome.clipFactor : undefined;
  };
  assert.equal(factor(undefined), undefined, 'an evaluator older than ADR 0023');
  assert.equal(factor(0), 0, 'a tensor clipped to a zero median norm');
  assert.equal(factor(0.25), 0.25);
  assert.equal(factor(1), 1);
  for (const bad of [1.5, -0.1, Number.NaN]) assert.equal(factor(bad), undefined, `${bad} is dropped`);
});

test('the factor survives the wire: 0 is encoded, absent stays absent', () => {
  const zero = fromBinary(
    ScoreResultSchema,
    toBinary(ScoreResultSchema, create(ScoreResultSchema, { fault: '', clipFactorMin: 0 })),
  );
  assert.equal(zero.clipFactorMin, 0);
  const none = fromBinary(ScoreResultSchema, toBinary(ScoreResultSchema, create(ScoreResultSchema, {})));
  assert.equal(none.clipFactorMin, undefined);
});
