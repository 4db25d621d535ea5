/**
 * Every service binary, run for real on loopback: it becomes SERVING on grpc.health.v1, exports its
 * cohort_* metrics, and exits 0 on SIGTERM after a clean drain. NATS-using services talk to a real
 * nats-server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Health, HealthCheckResponse_ServingStatus as Status } from '@cohort/proto/grpc/health/v1/health';
import { createServiceClient, createTransport } from '@cohort/kit';
import { spawnService, startNatsServer } from '../harness/index.js';
import type { NatsServer } from '../harness/index.js';

/** Each service with the gRPC service it registers and whether it needs NATS. */
const services = [
  { name: 'coordinator', grpcService: 'cohort.coordinator.v1.CoordinatorService', nats: true },
  { name: 'chain-bridge', grpcService: 'cohort.chain.v1.ChainBridgeService', nats: true },
  { name: 'checkpoint-store', grpcService: 'cohort.store.v1.CheckpointStoreService', nats: false },
  { name: 'compressor', grpcService: 'cohort.codec.v1.CompressorService', nats: false },
  { name: 'gpu-worker', grpcService: 'cohort.worker.v1.GpuWorkerService', nats: false },
  { name: 'aggregator', grpcService: 'cohort.aggregator.v1.AggregatorService', nats: true },
  { name: 'gauntlet-evaluator', grpcService: 'cohort.gauntlet.v1.EvaluatorService', nats: true },
] as const;

/**
 * What a service needs beyond NATS to start with nothing around it: a coordinator's role needs its
 * peers' addresses and a hotkey (clients connect lazily, so unreachable addresses are fine until a
 * window begins — and none does here).
 */
const BARE: Partial<Record<string, Record<string, string>>> = {
  coordinator: {
    COHORT_LEADER_ELECTION: 'off', // no lock directory left in the working tree
    COHORT_ROLES: 'validator',
    COHORT_STORE_ADDRESS: '127.0.0.1:9',
    COHORT_CHAIN_BRIDGE_ADDRESS: '127.0.0.1:9',
    COHORT_HOTKEY_ADDRESS: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY',
  },
};

async function metricsText(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

describe('service binaries: start, health, metrics, SIGTERM', () => {
  let nats: NatsServer;
  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    await nats.dispose();
  });

  for (const svc of services) {
    test(svc.name, async () => {
      const proc = spawnService(svc.name, {
        env: { ...(svc.nats ? { COHORT_NATS_URL: nats.url } : {}), ...BARE[svc.name] },
      });
      try {
        const ports = await proc.ports();
        await proc.waitForEvent('service_serving');
        const transport = createTransport(`127.0.0.1:${ports.grpc}`);
        const health = createServiceClient(Health, transport);
        assert.equal((await health.check({ service: '' })).status, Status.SERVING);
        assert.equal((await health.check({ service: svc.grpcService })).status, Status.SERVING);
        transport.close();

        const metrics = await metricsText(ports.metrics);
        assert.match(metrics, new RegExp(`cohort_build_info\\{[^}]*service="${svc.name}"\\} 1`));
        assert.match(metrics, new RegExp(`cohort_service_ready\\{service="${svc.name}"\\} 1`));
        assert.match(metrics, /cohort_grpc_server_handled_total\{[^}]*grpc_method="Check"[^}]*\} 2/);
        if (svc.nats) assert.match(metrics, /cohort_nats_connected\{[^}]*\} 1/);

        assert.equal(await proc.stop('SIGTERM'), 0, proc.stderr());
        const complete = await proc.waitForEvent('shutdown_complete');
        assert.equal(complete.forced, false);
        assert.equal(proc.stderr(), '');
      } finally {
        await proc.stop('SIGKILL');
      }
    });
  }
});

describe('readiness follows NATS', () => {
  test('NOT_SERVING while NATS is unreachable, SERVING once it is up, NOT_SERVING when it drops', async () => {
    const nats = await startNatsServer();
    await nats.stop();
    const proc = spawnService('aggregator', { env: { COHORT_NATS_URL: nats.url } });
    try {
      const ports = await proc.ports();
      const ready = async (): Promise<number> =>
        (await fetch(`http://127.0.0.1:${ports.metrics}/readyz`)).status;
      assert.equal(await ready(), 503);
      await nats.restart();
      await proc.waitForEvent('service_serving', 20_000);
      assert.equal(await ready(), 200);
      await nats.stop();
      await proc.waitForEvent('nats_disconnected', 20_000);
      assert.equal(await ready(), 503);
      await nats.restart();
      await proc.waitForEvent('nats_reconnected', 20_000);
      assert.equal(await ready(), 200);
      assert.equal(await proc.stop('SIGTERM'), 0);
    } finally {
      await proc.stop('SIGKILL');
      await nats.dispose();
    }
  });

  test('SIGTERM while still waiting for NATS exits 0 without hanging', async () => {
    const nats = await startNatsServer();
    await nats.dispose();
    const proc = spawnService('coordinator', { env: { COHORT_NATS_URL: nats.url, ...BARE.coordinator } });
    try {
      await proc.ports();
      assert.equal(await proc.stop('SIGTERM'), 0, proc.stderr());
      await proc.waitForEvent('shutdown_complete');
    } finally {
      await proc.stop('SIGKILL');
    }
  });
});
