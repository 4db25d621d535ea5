import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyOwner, prefixOwner } from './key-owner.js';
import {
  aggregateKey,
  checkpointKeys,
  latestKey,
  scoreKey,
  selectionKey,
  updateKey,
  updatesPrefix,
} from './storage-keys.js';

const MINER = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';
const AGG = '5GrwvaDef5KYSvcRZhGrE6ij2xaNd7rjndWN3ft6iRvQcK1z';
const VAL = '5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y';
const roles = { aggregator: AGG, validator: VAL };

test('an update is its miner’s; aggregates, checkpoints and LATEST the aggregator’s; a selection the validator’s', () => {
  assert.deepEqual(keyOwner(updateKey('r', 7, MINER), roles), { kind: 'hotkey', hotkey: MINER });
  for (const key of [
    aggregateKey('r', 7),
    checkpointKeys('r', 8).model,
    checkpointKeys('r', 8).manifest,
    latestKey('r'),
  ])
    assert.deepEqual(keyOwner(key, roles), { kind: 'hotkey', hotkey: AGG }, key);
  assert.deepEqual(keyOwner(selectionKey('r', 7), roles), { kind: 'hotkey', hotkey: VAL });
  assert.deepEqual(keyOwner(scoreKey('r', 7, MINER), roles), { kind: 'own' }, 'score records stay own');
  assert.deepEqual(keyOwner('datasets/brown/train-000.bin', roles), { kind: 'own' });
  assert.deepEqual(
    keyOwner('cohort/v1/r/updates/7/not-a-hotkey', roles),
    { kind: 'own' },
    'outside the layout',
  );
});

test('a run without configured roles reads its own bucket for them', () => {
  const none = { aggregator: '', validator: '' };
  assert.deepEqual(keyOwner(aggregateKey('r', 1), none), { kind: 'own' });
  assert.deepEqual(keyOwner(selectionKey('r', 1), none), { kind: 'own' });
  assert.deepEqual(keyOwner(updateKey('r', 1, MINER), none), { kind: 'hotkey', hotkey: MINER });
});

test('listing prefixes: a window’s update folder fans out, role folders are routed, the rest is own', () => {
  assert.deepEqual(prefixOwner(updatesPrefix('r', 12), roles), { kind: 'updates', run: 'r', window: 12 });
  for (const p of [
    'cohort/v1/r/checkpoints/',
    'cohort/v1/r/checkpoints/12/',
    'cohort/v1/r/aggregates/',
    'cohort/v1/r/LATEST',
  ])
    assert.deepEqual(prefixOwner(p, roles), { kind: 'hotkey', hotkey: AGG }, p);
  assert.deepEqual(prefixOwner('cohort/v1/r/selections/', roles), { kind: 'hotkey', hotkey: VAL });
  for (const p of [
    '',
    'cohort/',
    'cohort/v1/r/',
    'cohort/v1/r/updates/',
    'cohort/v1/r/updates/1', // matches windows 1, 10, 11, …: not one window
    'cohort/v1/r/updates/012/', // not a window's spelling
    'cohort/v1/r/s', // spans scores and selections
    'cohort/v1/r/scores/3/',
    'cohort/v2/r/aggregates/',
    'datasets/',
  ])
    assert.deepEqual(prefixOwner(p, roles), { kind: 'own' }, p);
});
