/**
 * The NetworkPolicies keep in-cluster NATS reachable by selector: an ipBlock is meant for addresses outside
 * the cluster, and whether it matches pod IPs depends on the CNI, so neither the defaults nor the narrowed
 * example may depend on one for NATS.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { render } from './chart.js';
import type { K8sObject, RenderOptions } from './chart.js';

interface EgressRule {
  readonly to?: readonly Record<string, unknown>[];
  readonly ports?: readonly { readonly protocol: string; readonly port: number }[];
}

const egressOf = (policy: K8sObject) => (policy.spec?.['egress'] ?? []) as readonly EgressRule[];

function natsEgress(options: RenderOptions): K8sObject | undefined {
  return render(options).find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'rel-cohort-nats-egress');
}

/** The peer the official nats chart's pods match when installed as docs/operations.md says. */
const NATS_NAMESPACE_PEER = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'nats' } },
  podSelector: { matchLabels: { 'app.kubernetes.io/name': 'nats', 'app.kubernetes.io/component': 'nats' } },
};

describe('egress to in-cluster NATS', () => {
  test('by default: the nats namespace by selector, on the client port, no ipBlock', () => {
    const policy = natsEgress({});
    assert.ok(policy !== undefined);
    const rules = egressOf(policy);
    assert.equal(rules.length, 1);
    assert.deepEqual(rules[0]?.to, [NATS_NAMESPACE_PEER]);
    assert.deepEqual(rules[0]?.ports, [{ protocol: 'TCP', port: 4222 }]);
  });
  test('networkPolicy.natsPeers picks other peers; null drops the rule', () => {
    const peer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'messaging' } } };
    const custom = natsEgress({
      set: { 'networkPolicy.natsPeers[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name': 'messaging' },
    });
    assert.deepEqual(custom && egressOf(custom)[0]?.to, [peer]);
    assert.equal(natsEgress({ set: { 'networkPolicy.natsPeers': 'null' } }), undefined);
  });
  test('the narrowed example (an ipBlock excepting 10.0.0.0/8) still reaches NATS by selector', () => {
    const options = { values: ['ci/keda-monitoring-values.yaml'] };
    const policy = natsEgress(options);
    assert.ok(policy !== undefined);
    assert.deepEqual(egressOf(policy)[0]?.to, [NATS_NAMESPACE_PEER]);
    const external = render(options).find((o) => o.metadata.name === 'rel-cohort-external-egress');
    assert.ok(external !== undefined);
    // The API server (the coordinators' Lease) gets its own rule, outside any except.
    const apiRule = egressOf(external).find((r) => r.ports?.some((p) => p.port === 6443));
    const block = apiRule?.to?.[0]?.['ipBlock'] as { cidr: string; except?: string[] } | undefined;
    assert.ok(block !== undefined && block.except === undefined, JSON.stringify(apiRule));
  });
});
