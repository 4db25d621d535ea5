import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { JobKind, ScoreResultSchema } from '@cohort/proto/cohort/gauntlet/v1/gauntlet';
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

test('a score result with a non-finite or non-positive loss is the evaluator failing, not a measurement', () => {
  const result = (losses: Partial<Record<'a' | 'b' | 'c' | 'd', number>>) =>
    evaluationOf(
      create(ScoreResultSchema, {
        hotkey: 'h',
        fault: '',
        lossAssignedBefore: losses.a ?? 3,
        lossAssignedAfter: losses.b ?? 2.9,
        lossRandomBefore: losses.c ?? 3,
        lossRandomAfter: losses.d ?? 2.95,
        tensorNorms: [1],
        indexSample: new Uint8Array(),
      }),
    );
  for (const [losses, field] of [
    [{ a: Number.NaN }, 'assignedBefore NaN'],
    [{ b: 0 }, 'assignedAfter 0'],
    [{ c: -1 }, 'randomBefore -1'],
    [{ d: Number.POSITIVE_INFINITY }, 'randomAfter Infinity'],
  ] as const) {
    const { outcome } = result(losses);
    assert.equal(outcome.kind, 'evaluator_failed', field);
    assert.ok(outcome.kind === 'evaluator_failed' && outcome.detail.includes(field), field);
    assert.ok(outcome.kind === 'evaluator_failed' && outcome.detail.startsWith('BAD_LOSS'), field);
  }
  assert.equal(result({}).outcome.kind, 'measured');
  // A sample job's result has no losses and stays what it was (never a verdict).
  const sample = evaluationOf(
    create(ScoreResultSchema, { fault: '', kind: JobKind.SAMPLE, tensorNorms: [2] }),
  );
  assert.equal(sample.outcome.kind, 'measured');
  assert.deepEqual(sample.tensorNorms, [2]);
});
