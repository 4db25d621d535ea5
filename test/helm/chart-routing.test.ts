/**
 * Reads of other operators' objects (ADR 0024): the checkpoint-store of every role routes them by the
 * commitments this release's chain-bridge lists, for the run's aggregator and followed validator; and
 * the aggregator aggregates the followed validator's selection.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { containerEnv, find, render, template } from './chart.js';
import type { RenderOptions } from './chart.js';

const AGG = '5GrwvaDef5KYSvcRZhGrE6ij2xaNd7rjndWN3ft6iRvQcK1z';
const VAL = '5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y';

const storeEnv = (options: RenderOptions) =>
  containerEnv(find(render(options), 'Deployment', 'rel-cohort-checkpoint-store'));

describe('checkpoint-store read routing', () => {
  for (const role of ['miner', 'validator', 'aggregator']) {
    test(`${role}: routed by this release's chain-bridge, for the run's aggregator and validator`, () => {
      const env = storeEnv({
        set: { role, 'run.aggregatorHotkey': AGG, 'run.trustedValidator': VAL, 'chain.netuid': 9 },
      });
      assert.equal(env.get('COHORT_CHAIN_BRIDGE_ADDRESS'), 'rel-cohort-chain-bridge:50052');
      assert.equal(env.get('COHORT_NETUID'), '9');
      assert.equal(env.get('COHORT_AGGREGATOR_HOTKEY'), AGG);
      assert.equal(env.get('COHORT_TRUSTED_VALIDATOR'), VAL);
      assert.equal(env.get('COHORT_PEER_ENDPOINTS'), 'public', 'strangers’ endpoints are policed by default');
    });
  }
  test('off: no chain-bridge, every read of this bucket', () => {
    const env = storeEnv({ set: { 'storage.routing.enabled': false } });
    assert.equal(env.has('COHORT_CHAIN_BRIDGE_ADDRESS'), false);
  });
  test('a private network may allow any endpoint', () => {
    assert.equal(storeEnv({ set: { 'storage.routing.peerEndpoints': 'any' } }).get('COHORT_PEER_ENDPOINTS'), 'any');
  });
});

test('the aggregator follows run.trustedValidator’s selection', () => {
  const env = containerEnv(
    find(render({ set: { role: 'aggregator', 'run.trustedValidator': VAL } }), 'Deployment', 'rel-cohort-aggregator'),
  );
  assert.equal(env.get('COHORT_SELECTION_VALIDATOR'), VAL);
});

describe('checkpoint-store writers', () => {
  test('the store knows how many processes write its bucket', () => {
    assert.equal(storeEnv({}).get('COHORT_STORE_REPLICAS'), '2');
    assert.equal(storeEnv({ set: { 'storage.backend': 'filesystem' } }).get('COHORT_STORE_REPLICAS'), '1');
  });
  test('a bucket limit or retention with several replicas is refused: both are kept per process', () => {
    for (const key of ['maxBucketBytes', 'retentionWindows']) {
      const res = template({ set: { [`checkpointStore.config.${key}`]: 1000 } });
      assert.notEqual(res.status, 0, key);
      assert.match(res.stderr, /kept per process: set checkpointStore\.replicas: 1/);
      const one = storeEnv({ set: { [`checkpointStore.config.${key}`]: 1000, 'checkpointStore.replicas': 1 } });
      assert.equal(one.get('COHORT_STORE_REPLICAS'), '1');
    }
  });
});

test('the evaluator’s and the aggregator’s scratch volumes are bounded (checkpoints land there)', () => {
  const volume = (role: string, name: string) => {
    const spec = find(render({ set: { role } }), 'Deployment', name).spec as {
      template: { spec: { volumes: { name: string; emptyDir?: { sizeLimit?: string } }[] } };
    };
    return spec.template.spec.volumes.find((v) => v.name === 'state')?.emptyDir?.sizeLimit;
  };
  assert.equal(volume('validator', 'rel-cohort-gauntlet-evaluator'), '50Gi');
  assert.equal(volume('aggregator', 'rel-cohort-aggregator'), '100Gi');
});
