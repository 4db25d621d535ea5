/**
 * The chart as a whole: `helm lint --strict` with the defaults and every ci/*-values.yaml, `helm template`
 * of each rendering objects that pass the Kubernetes schemas, and values.schema.json turning away typos.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { WORKLOAD_KINDS, chartDir, lint, podSpec, render, template } from './chart.js';
import { knownKinds, validateObject } from './k8s-schemas.js';

const ciValues = readdirSync(join(chartDir, 'ci'))
  .filter((f) => f.endsWith('-values.yaml'))
  .sort()
  .map((f) => `ci/${f}`);

test('ci/ has the miner, validator, aggregator and keda + serviceMonitor + existingSecret variants', () => {
  for (const name of ['miner', 'validator', 'aggregator', 'keda-monitoring']) {
    assert.ok(ciValues.includes(`ci/${name}-values.yaml`), `ci/${name}-values.yaml`);
  }
});

test('the Kubernetes schemas loaded', () => {
  assert.ok(knownKinds > 100, `only ${knownKinds} kinds known`);
});

describe('helm lint --strict', () => {
  test('default values', () => {
    const res = lint();
    assert.equal(res.status, 0, res.stdout + res.stderr);
  });
  for (const file of ciValues) {
    test(file, () => {
      const res = lint({ values: [file] });
      assert.equal(res.status, 0, res.stdout + res.stderr);
    });
  }
});

describe('helm template renders schema-valid objects', () => {
  for (const file of ['(defaults)', ...ciValues]) {
    test(file, () => {
      const objects = render(file === '(defaults)' ? {} : { values: [file] });
      assert.ok(objects.length > 10, `${objects.length} objects`);
      for (const obj of objects) validateObject(obj);
      const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
      assert.equal(new Set(names).size, names.length, 'duplicate objects');
    });
  }
  test('each role with its optional parts on', () => {
    for (const role of ['miner', 'validator', 'aggregator']) {
      const objects = render({
        set: {
          role,
          'nats.enabled': true,
          'minio.enabled': true,
          'storage.s3.bucket': 'b',
          'storage.accessKeyId': 'k',
          'storage.secretAccessKey': 's',
          'keda.enabled': true,
          'metrics.serviceMonitor.enabled': true,
          'coordinator.persistence.enabled': true,
          'gpuWorker.gpuProducts[0]': 'NVIDIA-B200',
        },
      });
      for (const obj of objects) validateObject(obj);
    }
  });
});

describe('ci examples schedule where they pin', () => {
  for (const file of ciValues) {
    test(`${file}: pods pinned to GPU nodes tolerate their nvidia.com/gpu NoSchedule taint`, () => {
      for (const obj of render({ values: [file] }).filter((o) => WORKLOAD_KINDS.has(o.kind))) {
        const pod = podSpec(obj);
        if (pod.nodeSelector?.['nvidia.com/gpu.present'] !== 'true') continue;
        const tolerates = pod.tolerations?.some(
          (t) =>
            t['key'] === 'nvidia.com/gpu' &&
            (t['operator'] === 'Exists' || t['operator'] === undefined) &&
            (t['effect'] === 'NoSchedule' || t['effect'] === undefined),
        );
        assert.ok(tolerates, `${obj.kind}/${obj.metadata.name}`);
      }
    });
  }
});

describe('values.schema.json', () => {
  test('rejects a typo in a top-level key', () => {
    const res = template({ set: { rol: 'miner' } });
    assert.notEqual(res.status, 0);
    assert.match(res.stderr, /additional properties 'rol' not allowed/);
  });
  test('rejects an unknown role', () => {
    const res = template({ set: { role: 'trainer' } });
    assert.notEqual(res.status, 0);
    assert.match(res.stderr, /\/role/);
  });
  test('rejects a typo inside a service block', () => {
    const res = template({ set: { 'gpuWorker.gpu': 2 } });
    assert.notEqual(res.status, 0);
    assert.match(res.stderr, /additional properties 'gpu' not allowed/);
  });
  test('rejects config keys the chart owns (ports, secrets)', () => {
    for (const key of ['grpcPort', 'hotkeySeed']) {
      const res = template({ set: { [`coordinator.config.${key}`]: '1' } });
      assert.notEqual(res.status, 0, key);
    }
  });
  test('takes the dataset from a volume or from the store, not both', () => {
    const both = template({ set: { 'dataset.manifest': '/data/dataset/manifest.json', 'dataset.prefix': 'datasets/b' } });
    assert.notEqual(both.status, 0);
    assert.match(both.stderr, /\/dataset/);
    const badHash = template({ set: { 'dataset.prefix': 'datasets/b', 'dataset.manifestHash': 'abc' } });
    assert.notEqual(badHash.status, 0);
    assert.match(badHash.stderr, /manifestHash/);
  });
  test('rejects a malformed NATS URL', () => {
    const res = template({ set: { 'nats.url[0]': 'http://nats:4222' } });
    assert.notEqual(res.status, 0);
  });
});
