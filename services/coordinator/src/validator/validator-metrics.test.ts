import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { createValidatorMetrics } from './validator-metrics.js';

const value = async (
  r: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> => {
  const m = (await r.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (m?.values ?? []).find((x) =>
    Object.entries(labels).every(([k, want]) => String((x.labels as Record<string, unknown>)[k]) === want),
  );
  return v?.value;
};

test('a scored window sets verdict counts, counts penalties by reason, scores, and the median model loss', async () => {
  const r = new Registry();
  const m = createValidatorMetrics(r);
  m.scored({
    window: 7,
    scored: ['a', 'b', 'c'],
    faults: { d: 'INVALID' },
    inactive: ['e'],
    unjudged: ['f', 'g'],
    sampledUnjudged: ['g'],
    penalties: { c: ['COPIER', 'LAZY'] },
    selected: 2,
    finalScores: { a: 1.5, b: 0.5, c: 0 },
    modelLosses: [9, 7, 8, 100],
  });
  assert.equal(await value(r, 'cohort_validator_last_scored_window'), 7);
  assert.equal(await value(r, 'cohort_validator_miners', { verdict: 'scored' }), 3);
  assert.equal(await value(r, 'cohort_validator_miners', { verdict: 'fault' }), 1);
  assert.equal(await value(r, 'cohort_validator_miners', { verdict: 'penalised' }), 1);
  assert.equal(await value(r, 'cohort_validator_miners', { verdict: 'unjudged' }), 2);
  assert.equal(await value(r, 'cohort_validator_unjudged_total'), 2);
  assert.equal(await value(r, 'cohort_validator_copy_unchecked_total'), 1, 'f: neither scored nor sampled');
  assert.equal(await value(r, 'cohort_validator_miners', { verdict: 'selected' }), 2);
  assert.equal(await value(r, 'cohort_validator_penalties_total', { reason: 'COPIER' }), 1);
  assert.equal(await value(r, 'cohort_validator_penalties_total', { reason: 'INVALID' }), 1);
  assert.equal(await value(r, 'cohort_validator_final_score', { hotkey: 'a' }), 1.5);
  assert.equal(await value(r, 'cohort_validator_model_loss'), 8.5, 'median, robust to one outlier');
  // The next window replaces the scores (a miner gone from the state is gone from the gauge).
  m.scored({
    window: 8,
    scored: ['b'],
    faults: {},
    inactive: [],
    unjudged: ['g'],
    sampledUnjudged: ['g'],
    penalties: {},
    selected: 1,
    finalScores: { b: 2 },
    modelLosses: [],
  });
  assert.equal(await value(r, 'cohort_validator_final_score', { hotkey: 'a' }), undefined);
  assert.equal(await value(r, 'cohort_validator_model_loss'), 8.5, 'no measurement keeps the last loss');
  assert.equal(await value(r, 'cohort_validator_windows_scored_total'), 2);
  assert.equal(await value(r, 'cohort_validator_miners', { verdict: 'unjudged' }), 1);
  assert.equal(await value(r, 'cohort_validator_unjudged_total'), 3, 'counted across windows');
  assert.equal(
    await value(r, 'cohort_validator_copy_unchecked_total'),
    1,
    'a sampled unjudged update is checked',
  );
});

test('weights: the last successful set by uid; a failure only counts', async () => {
  const r = new Registry();
  const m = createValidatorMetrics(r);
  m.weightsSet([2, 3], [40000, 25535], 'ok');
  m.weightsSet([], [], 'failed');
  assert.equal(await value(r, 'cohort_validator_weight', { uid: '2' }), 40000);
  assert.equal(await value(r, 'cohort_validator_weight', { uid: '3' }), 25535);
  assert.equal(await value(r, 'cohort_validator_weight_sets_total', { result: 'ok' }), 1);
  assert.equal(await value(r, 'cohort_validator_weight_sets_total', { result: 'failed' }), 1);
});

test('weights: a commit counts as committed, not as weights set', async () => {
  const r = new Registry();
  const m = createValidatorMetrics(r);
  m.weightsSet([0, 4], [65535, 30000], 'committed');
  assert.equal(await value(r, 'cohort_validator_weight_sets_total', { result: 'committed' }), 1);
  assert.equal(await value(r, 'cohort_validator_weight_sets_total', { result: 'ok' }), undefined);
  assert.equal(await value(r, 'cohort_validator_weight', { uid: '4' }), 30000, 'what was committed');
});
