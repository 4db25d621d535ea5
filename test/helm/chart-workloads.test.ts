/**
 * Chart unit tests: the role selects the workloads; the gpu-worker lands on GPU nodes with its
 * error-feedback volume; evaluators scale by HPA or, with KEDA, by a ScaledObject on their JetStream
 * consumer; the coordinator may touch exactly its Lease; every env var is a real config key of its
 * service, secrets come from Secrets, probes ask the gRPC health service.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { PROCESS_ENVS, WORKLOAD_KINDS, configEnvs, containerEnv, find, podSpec, render } from './chart.js';
import type { K8sObject } from './chart.js';

const COHORT_SERVICES = [
  'aggregator',
  'chain-bridge',
  'checkpoint-store',
  'compressor',
  'coordinator',
  'gauntlet-evaluator',
  'gpu-worker',
];

function components(objects: readonly K8sObject[]): string[] {
  return objects
    .filter((o) => WORKLOAD_KINDS.has(o.kind))
    .map((o) => o.metadata.labels?.['app.kubernetes.io/component'] ?? '?')
    .filter((c) => COHORT_SERVICES.includes(c))
    .sort();
}

describe('role selects the workloads', () => {
  const expected: Record<string, string[]> = {
    miner: ['chain-bridge', 'checkpoint-store', 'compressor', 'coordinator', 'gpu-worker'],
    validator: ['chain-bridge', 'checkpoint-store', 'compressor', 'coordinator', 'gauntlet-evaluator'],
    aggregator: ['aggregator', 'chain-bridge', 'checkpoint-store', 'compressor'],
  };
  for (const [role, services] of Object.entries(expected)) {
    test(role, () => {
      const objects = render({ set: { role } });
      assert.deepEqual(components(objects), services);
      for (const service of services) find(objects, 'Service', `rel-cohort-${service}`);
      const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.metadata.name);
      assert.deepEqual(pdbs.sort(), services.map((s) => `rel-cohort-${s}`).sort());
    });
  }
  test('compressor.enabled=false drops the compressor', () => {
    assert.ok(!components(render({ set: { 'compressor.enabled': false } })).includes('compressor'));
  });
  test('the aggregator aggregates through the compressor when it runs (ADR 0014)', () => {
    const address = (set: Record<string, string | boolean>) =>
      podSpec(find(render({ set: { role: 'aggregator', ...set } }), 'Deployment', 'rel-cohort-aggregator'))
        .containers[0]?.env?.find((e) => e.name === 'COHORT_COMPRESSOR_ADDRESS')?.value;
    assert.equal(address({}), 'rel-cohort-compressor:50054');
    assert.equal(address({ 'compressor.enabled': false }), undefined);
  });
  test('the coordinator gets the role as COHORT_ROLES', () => {
    const env = podSpec(find(render({ set: { role: 'validator' } }), 'Deployment', 'rel-cohort-coordinator'))
      .containers[0]?.env;
    assert.equal(env?.find((e) => e.name === 'COHORT_ROLES')?.value, 'validator');
  });
});

describe('gpu-worker', () => {
  const objects = render({ values: ['ci/miner-values.yaml'] });
  const sts = find(objects, 'StatefulSet', 'rel-cohort-gpu-worker');
  const pod = podSpec(sts);

  test('is a StatefulSet with nvidia.com/gpu limits (one: an engine uses one device)', () => {
    assert.equal(pod.containers[0]?.resources?.limits?.['nvidia.com/gpu'], 1);
    const defaults = podSpec(find(render(), 'StatefulSet', 'rel-cohort-gpu-worker'));
    assert.equal(defaults.containers[0]?.resources?.limits?.['nvidia.com/gpu'], 1);
  });
  test('is scheduled on GPU nodes: selector, toleration, product affinity', () => {
    assert.deepEqual(pod.nodeSelector, { 'nvidia.com/gpu.present': 'true' });
    assert.ok(
      pod.tolerations?.some(
        (t) => t['key'] === 'nvidia.com/gpu' && t['operator'] === 'Exists' && t['effect'] === 'NoSchedule',
      ),
    );
    assert.deepEqual(pod.affinity, {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'nvidia.com/gpu.product', operator: 'In', values: ['NVIDIA-B200'] }] },
          ],
        },
      },
    });
  });
  test('keeps its error-feedback state on a volumeClaimTemplate mounted at efStateDir', () => {
    const spec = sts.spec as {
      volumeClaimTemplates: { metadata: { name: string }; spec: { resources: { requests: { storage: string } } } }[];
    };
    const claim = spec.volumeClaimTemplates.find((c) => c.metadata.name === 'ef-state');
    assert.equal(claim?.spec.resources.requests.storage, '500Gi');
    const container = pod.containers[0] as unknown as { volumeMounts: { name: string; mountPath: string }[] };
    const mount = container.volumeMounts.find((m) => m.name === 'ef-state');
    const efDir = pod.containers[0]?.env?.find((e) => e.name === 'COHORT_EF_STATE_DIR')?.value;
    assert.ok(mount !== undefined && efDir === mount.mountPath, `${efDir} vs ${mount?.mountPath}`);
  });
  test('downloads checkpoints (TMPDIR) onto its ef-state volume, not the unsized /tmp emptyDir', () => {
    const mount = pod.containers[0]?.volumeMounts?.find((m) => m.name === 'ef-state');
    assert.ok(mount !== undefined);
    assert.equal(containerEnv(sts).get('TMPDIR'), mount.mountPath);
  });
  test('the coordinator drives it at its address', () => {
    const env = podSpec(find(objects, 'Deployment', 'rel-cohort-coordinator')).containers[0]?.env;
    assert.equal(env?.find((e) => e.name === 'COHORT_WORKER_ADDRESS')?.value, 'rel-cohort-gpu-worker:50055');
  });
});

describe('the dataset from the run store', () => {
  const hash = 'ab'.repeat(32);
  const envOf = (objects: readonly K8sObject[], kind: string, name: string) =>
    new Map((podSpec(find(objects, kind, name)).containers[0]?.env ?? []).map((e) => [e.name, e.value]));
  test('the gpu-worker caches it on its state volume, the evaluator on its state directory', () => {
    const set = { 'dataset.prefix': 'datasets/brown/', 'dataset.manifestHash': hash };
    const worker = envOf(render({ set: { role: 'miner', ...set } }), 'StatefulSet', 'rel-cohort-gpu-worker');
    assert.equal(worker.get('COHORT_DATASET_PREFIX'), 'datasets/brown/');
    assert.equal(worker.get('COHORT_DATASET_MANIFEST_HASH'), hash);
    assert.ok(worker.get('COHORT_DATASET_CACHE_DIR')?.startsWith(`${worker.get('COHORT_EF_STATE_DIR')}/`));
    assert.equal(worker.get('COHORT_DATASET_MANIFEST'), undefined);
    const evaluator = envOf(render({ set: { role: 'validator', ...set } }), 'Deployment', 'rel-cohort-gauntlet-evaluator');
    assert.equal(evaluator.get('COHORT_DATASET_PREFIX'), 'datasets/brown/');
    assert.ok(evaluator.get('COHORT_DATASET_CACHE_DIR')?.startsWith(`${evaluator.get('COHORT_STATE_DIR')}/`));
  });
  test('without a prefix no dataset-store key is set', () => {
    const worker = envOf(render({ set: { role: 'miner' } }), 'StatefulSet', 'rel-cohort-gpu-worker');
    assert.equal(worker.get('COHORT_DATASET_PREFIX'), undefined);
  });
});

describe('evaluator scaling', () => {
  test('an HPA by default, and the Deployment leaves replicas to it', () => {
    const objects = render({ set: { role: 'validator' } });
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'rel-cohort-gauntlet-evaluator');
    assert.equal((hpa.spec?.['scaleTargetRef'] as { name: string }).name, 'rel-cohort-gauntlet-evaluator');
    assert.ok(!objects.some((o) => o.kind === 'ScaledObject'));
    assert.equal(find(objects, 'Deployment', 'rel-cohort-gauntlet-evaluator').spec?.['replicas'], undefined);
  });
  test('a KEDA ScaledObject on the JetStream consumer lag, and no HPA, with keda.enabled', () => {
    const objects = render({ values: ['ci/keda-monitoring-values.yaml'] });
    assert.ok(!objects.some((o) => o.kind === 'HorizontalPodAutoscaler'));
    const scaled = find(objects, 'ScaledObject', 'rel-cohort-gauntlet-evaluator');
    const spec = scaled.spec as {
      scaleTargetRef: { name: string };
      triggers: { type: string; metadata: Record<string, string> }[];
    };
    assert.equal(spec.scaleTargetRef.name, 'rel-cohort-gauntlet-evaluator');
    assert.equal(spec.triggers.length, 1);
    assert.equal(spec.triggers[0]?.type, 'nats-jetstream');
    // The names the evaluator really uses: services/core scoreJobsStream, gauntlet-evaluator CONSUMER_NAME.
    assert.equal(spec.triggers[0]?.metadata['stream'], 'cohort-cohort-8b-score-jobs');
    assert.equal(spec.triggers[0]?.metadata['consumer'], 'gauntlet-evaluators');
    assert.equal(spec.triggers[0]?.metadata['natsServerMonitoringEndpoint'], 'nats.nats.svc:8222');
  });
  test('keda.enabled without a NATS monitoring endpoint fails with a message', () => {
    assert.throws(
      () => render({ set: { role: 'validator', 'keda.enabled': true } }),
      /nats.monitoringEndpoint/,
    );
  });
});

describe('coordinator leader election', () => {
  const objects = render({ set: { 'coordinator.replicas': 3 } });
  test('runs several replicas electing through a Lease', () => {
    const deployment = find(objects, 'Deployment', 'rel-cohort-coordinator');
    assert.equal(deployment.spec?.['replicas'], 3);
    const env = podSpec(deployment).containers[0]?.env ?? [];
    const value = (name: string) => env.find((e) => e.name === name)?.value;
    assert.equal(value('COHORT_LEADER_ELECTION'), 'kubernetes');
    assert.equal(value('COHORT_LEASE_NAME'), 'rel-cohort-coordinator');
    assert.equal(value('COHORT_LEASE_NAMESPACE'), 'cohort');
    assert.equal(
      env.find((e) => e.name === 'COHORT_LEADER_IDENTITY')?.valueFrom?.fieldRef?.fieldPath,
      'metadata.name',
    );
  });
  test('RBAC: exactly get, create, update on coordination.k8s.io leases, bound to its ServiceAccount', () => {
    const account = podSpec(find(objects, 'Deployment', 'rel-cohort-coordinator')).serviceAccountName;
    assert.equal(account, 'rel-cohort-coordinator');
    find(objects, 'ServiceAccount', 'rel-cohort-coordinator');
    const roles = objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
    assert.equal(roles.length, 1);
    assert.deepEqual(roles[0]?.['rules'], [
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
    ]);
    const binding = find(objects, 'RoleBinding', 'rel-cohort-coordinator-lease');
    assert.deepEqual(binding['roleRef'], {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: roles[0]?.metadata.name,
    });
    assert.deepEqual(binding['subjects'], [
      { kind: 'ServiceAccount', name: 'rel-cohort-coordinator', namespace: 'cohort' },
    ]);
  });
  test('no other workload mounts a service-account token', () => {
    for (const obj of objects.filter((o) => WORKLOAD_KINDS.has(o.kind) || o.kind === 'Pod')) {
      const spec = podSpec(obj) as unknown as { automountServiceAccountToken?: boolean };
      if (obj.metadata.name === 'rel-cohort-coordinator') assert.equal(spec.automountServiceAccountToken, true);
      else assert.equal(spec.automountServiceAccountToken, false, obj.metadata.name);
    }
  });
});

describe('env and probes', () => {
  const envs = configEnvs();
  const renders = ['ci/miner-values.yaml', 'ci/validator-values.yaml', 'ci/aggregator-values.yaml', 'ci/keda-monitoring-values.yaml'];
  for (const file of renders) {
    test(`${file}: every env var is a config key of its service; secrets from secretKeyRef`, () => {
      const workloads = render({ values: [file] }).filter((o) => WORKLOAD_KINDS.has(o.kind));
      let checked = 0;
      for (const obj of workloads) {
        const service = obj.metadata.labels?.['app.kubernetes.io/component'] ?? '';
        if (!COHORT_SERVICES.includes(service)) continue;
        const known = envs.get(service);
        assert.ok(known !== undefined, `cohort config --json has no service ${service}`);
        for (const env of podSpec(obj).containers[0]?.env ?? []) {
          if (PROCESS_ENVS.has(env.name)) continue;
          assert.ok(known.has(env.name), `${service}: ${env.name} is not a config env of ${service}`);
          checked += 1;
        }
      }
      assert.ok(checked > 20, `${checked} env vars checked`);
    });
  }
  test('secret keys never appear as plain values', () => {
    const secretEnvs = new Set(
      ['HOTKEY_SEED', 'HOTKEY_MNEMONIC', 'HOTKEY_URI', 'NATS_TOKEN', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY']
        .concat(['COMMIT_ACCESS_KEY_ID', 'COMMIT_SECRET_ACCESS_KEY'])
        .map((k) => `COHORT_${k}`),
    );
    for (const file of ['ci/miner-values.yaml', 'ci/keda-monitoring-values.yaml']) {
      const objects = render({ values: [file] });
      const seen = new Set<string>();
      for (const obj of objects.filter((o) => WORKLOAD_KINDS.has(o.kind))) {
        for (const env of podSpec(obj).containers[0]?.env ?? []) {
          if (!secretEnvs.has(env.name)) continue;
          seen.add(env.name);
          assert.equal(env.value, undefined, `${obj.metadata.name} ${env.name} has a plain value`);
          assert.ok(env.valueFrom?.secretKeyRef, `${obj.metadata.name} ${env.name} not from a Secret`);
        }
      }
      assert.ok(seen.has('COHORT_NATS_TOKEN') && seen.has('COHORT_S3_SECRET_ACCESS_KEY'), file);
    }
  });
  test('existingSecret: no chart Secret, refs point at the operator Secrets', () => {
    const objects = render({ values: ['ci/keda-monitoring-values.yaml'] });
    assert.ok(!objects.some((o) => o.kind === 'Secret'));
    const refs = objects
      .filter((o) => WORKLOAD_KINDS.has(o.kind))
      .flatMap((o) => podSpec(o).containers[0]?.env ?? [])
      .flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : []));
    assert.deepEqual(
      [...new Set(refs)].sort(),
      ['cohort-nats', 'cohort-validator-bucket', 'cohort-validator-hotkey'],
    );
  });
  test('images, ports and gRPC health probes per service', () => {
    const objects = render({ values: ['ci/miner-values.yaml'], set: { 'image.tag': '1.2.3' } });
    for (const obj of objects.filter((o) => WORKLOAD_KINDS.has(o.kind))) {
      const service = obj.metadata.labels?.['app.kubernetes.io/component'] ?? '';
      if (!COHORT_SERVICES.includes(service)) continue;
      const container = podSpec(obj).containers[0];
      assert.equal(container?.image, `ghcr.io/cohort-dev/${service}:1.2.3`);
      const grpcPort = container?.ports?.find((p) => p.name === 'grpc')?.containerPort;
      const env = container?.env?.find((e) => e.name === 'COHORT_GRPC_PORT')?.value;
      assert.equal(String(grpcPort), env, service);
      assert.equal(container?.readinessProbe?.grpc?.port, grpcPort, service);
      assert.equal(container?.startupProbe?.grpc?.port, grpcPort, service);
    }
  });
  test('ServiceMonitor only when enabled', () => {
    assert.ok(!render().some((o) => o.kind === 'ServiceMonitor'));
    const monitor = find(render({ values: ['ci/keda-monitoring-values.yaml'] }), 'ServiceMonitor', 'rel-cohort');
    assert.equal(monitor.metadata.labels?.['release'], 'kube-prometheus-stack');
  });
  test('the helm test hook checks the gRPC health of every service of the role', () => {
    const pod = find(render({ set: { role: 'aggregator' } }), 'Pod', 'rel-cohort-test-grpc-health');
    const annotations = (pod.metadata as { annotations?: Record<string, string> }).annotations;
    assert.equal(annotations?.['helm.sh/hook'], 'test');
    const args = (podSpec(pod).containers[0] as unknown as { args: string[] }).args;
    assert.deepEqual(args, [
      'rel-cohort-aggregator:50056',
      'rel-cohort-chain-bridge:50052',
      'rel-cohort-checkpoint-store:50053',
      'rel-cohort-compressor:50054',
    ]);
  });
});
