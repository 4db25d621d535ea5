/**
 * What the coordinator needs to start and to lead alone: the hotkey address in every role that requires it
 * (services/coordinator/src/config.ts MINER_REQUIRED, VALIDATOR_REQUIRED), no second leader when election
 * is off, and a bucket commitment whose region and addressing are the bucket's own unless set apart.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { containerEnv, find, render, template } from './chart.js';
import type { RenderOptions } from './chart.js';

const ADDRESS = '5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y';

const coordinatorEnv = (options: RenderOptions) =>
  containerEnv(find(render(options), 'Deployment', 'rel-cohort-coordinator'));

describe('hotkeyAddress', () => {
  for (const role of ['miner', 'validator']) {
    test(`reaches the ${role}'s coordinator, which refuses to start without it`, () => {
      const env = coordinatorEnv({ set: { role, 'hotkey.address': ADDRESS } });
      assert.equal(env.get('COHORT_HOTKEY_ADDRESS'), ADDRESS);
    });
  }
  test('the validator example sets it', () => {
    assert.equal(coordinatorEnv({ values: ['ci/validator-values.yaml'] }).get('COHORT_HOTKEY_ADDRESS'), ADDRESS);
  });
});

describe('leader election off', () => {
  test('one replica leads alone (leaderElection off)', () => {
    const objects = render({ set: { 'coordinator.leaderElection.enabled': false, 'coordinator.replicas': 1 } });
    const deployment = find(objects, 'Deployment', 'rel-cohort-coordinator');
    assert.equal(deployment.spec?.['replicas'], 1);
    assert.equal(containerEnv(deployment).get('COHORT_LEADER_ELECTION'), 'off');
  });
  test('more than one replica fails: each would lead', () => {
    for (const replicas of [2, 3]) {
      const res = template({ set: { 'coordinator.leaderElection.enabled': false, 'coordinator.replicas': replicas } });
      assert.notEqual(res.status, 0, `replicas ${replicas}`);
      assert.match(res.stderr, /coordinator\.leaderElection\.enabled=false needs coordinator\.replicas: 1/);
    }
  });
  test('the default replicas (2) with election off fail too', () => {
    const res = template({ set: { 'coordinator.leaderElection.enabled': false } });
    assert.notEqual(res.status, 0);
  });
  test('roles without a coordinator are not affected', () => {
    render({ set: { role: 'aggregator', 'coordinator.leaderElection.enabled': false } });
  });
});

describe('the bucket commitment', () => {
  const bridgeEnv = (options: RenderOptions) =>
    containerEnv(find(render(options), 'Deployment', 'rel-cohort-chain-bridge'));
  const commit = (options: RenderOptions) => {
    const env = bridgeEnv(options);
    return { region: env.get('COHORT_COMMIT_REGION'), pathStyle: env.get('COHORT_COMMIT_PATH_STYLE') };
  };
  test('is made by the chain-bridge in every role (ADR 0024: everyone reads everyone), not the coordinator', () => {
    for (const role of ['miner', 'validator', 'aggregator']) {
      const set = { role, 'storage.commit.enabled': true, 'storage.s3.endpoint': 'https://s3.example.org', 'storage.s3.bucket': 'b' };
      assert.equal(bridgeEnv({ set }).get('COHORT_COMMIT_ENDPOINT'), 'https://s3.example.org', role);
      if (role !== 'aggregator') assert.equal(coordinatorEnv({ set }).has('COHORT_COMMIT_ENDPOINT'), false, role);
    }
  });
  test("takes the bucket's region and addressing when unset: an AWS bucket commits its region", () => {
    assert.deepEqual(commit({ values: ['ci/keda-monitoring-values.yaml'] }), {
      region: 'eu-central-1',
      pathStyle: 'false',
    });
    assert.deepEqual(commit({ values: ['ci/miner-values.yaml'] }), { region: 'auto', pathStyle: 'false' });
    assert.deepEqual(commit({ set: { 'storage.commit.enabled': true } }), { region: 'us-east-1', pathStyle: 'true' });
  });
  test('storage.commit.region and .pathStyle, when set, win (false included)', () => {
    const aws = { values: ['ci/keda-monitoring-values.yaml'] };
    assert.deepEqual(commit({ ...aws, set: { 'storage.commit.region': 'us-west-2', 'storage.commit.pathStyle': true } }), {
      region: 'us-west-2',
      pathStyle: 'true',
    });
    assert.deepEqual(commit({ set: { 'storage.commit.enabled': true, 'storage.commit.pathStyle': false } }), {
      region: 'us-east-1',
      pathStyle: 'false',
    });
  });
});
