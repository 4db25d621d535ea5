// No Kubernetes API server can run on this machine, so these tests drive the real @kubernetes/client-node
// client against a small HTTP server on 127.0.0.1 that replays recorded exchanges: handwritten request/response
// pairs in the exact shape of the Kubernetes API (coordination.k8s.io/v1 Lease objects and v1 Status errors,
// as `kubectl get lease -o json` and the API server return them). The server serves them in order and
// asserts every request it receives: method, path, bearer token and the JSON body the client sent.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { Code, CohortError } from '@cohort/core';
import { createLeaderElector } from './elector.js';
import type { ElectorClock } from './elector.js';
import { KubernetesLeaseStore } from './k8s-lease-store.js';

/** The JSON the client sends: a Lease. */
interface LeaseBody {
  readonly kind?: string;
  readonly apiVersion?: string;
  readonly metadata: { readonly resourceVersion?: string; readonly uid?: string; readonly labels?: unknown };
  readonly spec: { readonly renewTime?: string };
}

interface Exchange {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  /** Assertions on the JSON request body. */
  readonly expect?: (body: LeaseBody) => void;
  readonly status: number;
  readonly response: unknown;
}

const NS = 'cohort';
const NAME = 'cohort-coordinator';
const LEASES = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`;
const LEASE = `${LEASES}/${NAME}`;
const TOKEN = 'recorded-service-account-token';

/** A Lease as the API server returns it. */
function lease(resourceVersion: string, spec: Record<string, unknown>) {
  return {
    kind: 'Lease',
    apiVersion: 'coordination.k8s.io/v1',
    metadata: {
      name: NAME,
      namespace: NS,
      uid: '6f1c2a4e-3b7d-4c1e-9a57-0d2f8e1b6c3a',
      resourceVersion,
      creationTimestamp: '2026-11-23T05:00:00Z',
      labels: { 'app.kubernetes.io/name': 'cohort-coordinator' },
    },
    spec,
  };
}

/** A v1 Status error body, as the API server sends with 4xx/5xx. */
function status(code: number, reason: string, message: string) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    details: { name: NAME, group: 'coordination.k8s.io', kind: 'leases' },
    code,
  };
}

/** Serve `exchanges` in order; `finish()` asserts all were used and every request matched. */
async function replay(exchanges: Exchange[]) {
  const queue = [...exchanges];
  const failures: string[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const next = queue.shift();
      const seen = `${req.method} ${req.url}`;
      try {
        assert.ok(next, `unexpected request ${seen}`);
        assert.equal(seen, `${next.method} ${next.path}`);
        assert.equal(req.headers.authorization, `Bearer ${TOKEN}`);
        if (next.method !== 'GET') assert.match(String(req.headers['content-type']), /^application\/json/);
        if (next.expect) next.expect(JSON.parse(raw) as LeaseBody);
        res.writeHead(next.status, { 'content-type': 'application/json' }).end(JSON.stringify(next.response));
      } catch (error) {
        failures.push(`${seen}: ${String(error)}`);
        res.writeHead(500).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'replay', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'replay', token: TOKEN }],
    contexts: [{ name: 'replay', cluster: 'replay', user: 'replay' }],
    currentContext: 'replay',
  });
  const finish = async () => {
    await new Promise((resolve) => server.close(resolve));
    assert.deepEqual(failures, []);
    assert.equal(queue.length, 0, 'every recorded exchange was replayed');
  };
  return { kubeConfig, finish };
}

const T0 = Date.UTC(2026, 10, 23, 5, 0, 0);
const spec = (holderIdentity: string, renew: string, leaseTransitions = 0) => ({
  holderIdentity,
  leaseDurationSeconds: 15,
  acquireTime: '2026-11-23T05:00:00.000000Z',
  renewTime: renew,
  leaseTransitions,
});

test('the elector over a Lease: 404 → create, renew with resourceVersion, 409 conflict, rival takes over', async () => {
  const { kubeConfig, finish } = await replay([
    {
      method: 'GET',
      path: LEASE,
      status: 404,
      response: status(404, 'NotFound', `leases.coordination.k8s.io "${NAME}" not found`),
    },
    {
      method: 'POST',
      path: LEASES,
      expect: (body) => {
        assert.equal(body.kind, 'Lease');
        assert.equal(body.apiVersion, 'coordination.k8s.io/v1');
        assert.deepEqual(body.metadata, { name: NAME, namespace: NS });
        assert.deepEqual(body.spec, spec('coordinator-0', '2026-11-23T05:00:00.000000Z'));
      },
      status: 201,
      response: lease('1001', spec('coordinator-0', '2026-11-23T05:00:00.000000Z')),
    },
    {
      method: 'GET',
      path: LEASE,
      status: 200,
      response: lease('1001', spec('coordinator-0', '2026-11-23T05:00:00.000000Z')),
    },
    {
      method: 'PUT',
      path: LEASE,
      expect: (body) => {
        assert.equal(body.metadata.resourceVersion, '1001', 'the resourceVersion read is passed back');
        assert.equal(body.metadata.uid, '6f1c2a4e-3b7d-4c1e-9a57-0d2f8e1b6c3a');
        assert.deepEqual(body.metadata.labels, { 'app.kubernetes.io/name': 'cohort-coordinator' });
        assert.deepEqual(body.spec, spec('coordinator-0', '2026-11-23T05:00:02.000000Z'));
      },
      status: 200,
      response: lease('1002', spec('coordinator-0', '2026-11-23T05:00:02.000000Z')),
    },
    {
      method: 'GET',
      path: LEASE,
      status: 200,
      response: lease('1002', spec('coordinator-0', '2026-11-23T05:00:02.000000Z')),
    },
    {
      method: 'PUT',
      path: LEASE,
      expect: (body) => {
        assert.equal(body.metadata.resourceVersion, '1002');
        assert.equal(body.spec.renewTime, '2026-11-23T05:00:04.000000Z');
      },
      status: 409,
      response: status(
        409,
        'Conflict',
        `Operation cannot be fulfilled on leases.coordination.k8s.io "${NAME}": the object has been modified; please apply your changes to the latest version and try again`,
      ),
    },
    // coordinator-1 holds it now (an operator moved it, or our renewals were lost): follow.
    {
      method: 'GET',
      path: LEASE,
      status: 200,
      response: lease('1003', spec('coordinator-1', '2026-11-23T05:00:05.123456Z', 1)),
    },
    // stop(): the lease is not ours, so nothing is released.
    {
      method: 'GET',
      path: LEASE,
      status: 200,
      response: lease('1003', spec('coordinator-1', '2026-11-23T05:00:05.123456Z', 1)),
    },
  ]);
  let now = T0;
  const clock: ElectorClock = { now: () => now, sleep: () => new Promise<void>(() => undefined) };
  const store = new KubernetesLeaseStore({ kubeConfig, namespace: NS, name: NAME });
  const elector = createLeaderElector({
    identity: 'coordinator-0',
    store,
    clock,
    onError: (e) => assert.fail(e),
  });
  const changes: boolean[] = [];
  elector.onChange((leader) => changes.push(leader));
  await elector.tick();
  assert.equal(elector.isLeader, true);
  now += 2_000;
  await elector.tick();
  now += 2_000;
  await elector.tick();
  assert.equal(elector.isLeader, true, 'a lost round within the renew deadline keeps the leader');
  now += 2_000;
  await elector.tick();
  assert.equal(elector.isLeader, false);
  assert.equal(elector.holderIdentity, 'coordinator-1');
  await elector.stop();
  assert.deepEqual(changes, [true, false]);
  await finish();
});

test('release on stop clears holderIdentity; a lost create race is a conflict', async () => {
  const mine = spec('coordinator-0', '2026-11-23T05:00:00.000000Z', 3);
  const { kubeConfig, finish } = await replay([
    { method: 'GET', path: LEASE, status: 404, response: status(404, 'NotFound', 'not found') },
    {
      method: 'POST',
      path: LEASES,
      status: 409,
      response: status(409, 'AlreadyExists', `leases.coordination.k8s.io "${NAME}" already exists`),
    },
    { method: 'GET', path: LEASE, status: 200, response: lease('2001', mine) },
    {
      method: 'PUT',
      path: LEASE,
      expect: (body) => {
        assert.equal(body.metadata.resourceVersion, '2001');
        assert.deepEqual(body.spec, {
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: '2026-11-23T05:00:01.500000Z',
          renewTime: '2026-11-23T05:00:01.500000Z',
          leaseTransitions: 3,
        });
      },
      status: 200,
      response: lease('2002', { ...mine, holderIdentity: '', leaseDurationSeconds: 1 }),
    },
  ]);
  const store = new KubernetesLeaseStore({ kubeConfig, namespace: NS, name: NAME });
  assert.equal(await store.get(), undefined);
  assert.equal(
    await store.write(
      {
        holderIdentity: 'coordinator-0',
        leaseDurationSeconds: 15,
        acquireTimeMs: T0,
        renewTimeMs: T0,
        leaseTransitions: 0,
      },
      undefined,
    ),
    undefined,
  );
  const clock: ElectorClock = { now: () => T0 + 1_500, sleep: () => new Promise<void>(() => undefined) };
  const elector = createLeaderElector({ identity: 'coordinator-0', store, clock });
  await elector.stop();
  await finish();
});

test('API errors become typed CohortErrors', async () => {
  const { kubeConfig, finish } = await replay([
    {
      method: 'GET',
      path: LEASE,
      status: 403,
      response: status(
        403,
        'Forbidden',
        `leases.coordination.k8s.io "${NAME}" is forbidden: User "system:serviceaccount:cohort:default" cannot get resource "leases"`,
      ),
    },
    {
      method: 'GET',
      path: LEASE,
      status: 503,
      response: status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'),
    },
  ]);
  const store = new KubernetesLeaseStore({ kubeConfig, namespace: NS, name: NAME });
  const is = (code: Code, reason: string) => (e: unknown) =>
    e instanceof CohortError && e.code === code && e.reason === reason;
  await assert.rejects(store.get(), is(Code.PermissionDenied, 'LEASE_FORBIDDEN'));
  await assert.rejects(store.get(), is(Code.Unavailable, 'LEASE_API_UNAVAILABLE'));
  await finish();
  // The replay server is closed now: nothing listens on that port.
  await assert.rejects(store.get(), is(Code.Unavailable, 'LEASE_API_UNREACHABLE'));
});
