/**
 * NOTES.txt warns about what keeps a release from working, and only then: a missing hotkey address for the
 * roles whose coordinator requires one, a missing dataset (from a volume or from the store).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { notes } from './chart.js';

const ADDRESS = '5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y';

describe('NOTES.txt', () => {
  for (const role of ['miner', 'validator']) {
    test(`${role}: warns without hotkey.address, not with it`, () => {
      assert.match(notes({ set: { role } }), new RegExp(`hotkey\\.address .* is required for the ${role} role`));
      assert.doesNotMatch(notes({ set: { role, 'hotkey.address': ADDRESS } }), /hotkey\.address/);
    });
  }
  test('the aggregator is not told to set hotkey.address', () => {
    assert.doesNotMatch(notes({ set: { role: 'aggregator' } }), /hotkey\.address/);
  });
  test('a dataset from the store (dataset.prefix) counts as a dataset', () => {
    assert.match(notes({ set: { role: 'miner' } }), /no dataset .*: the gpu-worker cannot train/);
    assert.doesNotMatch(notes({ set: { role: 'miner', 'dataset.prefix': 'datasets/brown/' } }), /no dataset/);
    assert.doesNotMatch(notes({ values: ['ci/validator-values.yaml'] }), /no dataset/);
  });
});
