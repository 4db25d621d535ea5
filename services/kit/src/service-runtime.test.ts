import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CohortError, Code } from '@cohort/core';
import { TestingService } from '@cohort/proto/cohort/testing/v1/testing';
import { Health, HealthCheckResponse_ServingStatus as Status } from '@cohort/proto/grpc/health/v1/health';
import { commonFields } from './config/common-fields.js';
import { loadConfig } from './config/load-config.js';
import { defineConfig } from './config/spec.js';
import { createServiceClient, createTransport } from './grpc/client.js';
import { createLogger } from './log.js';
import { startService } from './service-runtime.js';
import type { ServiceContext } from './service-runtime.js';
import { createTestingService } from './testing/testing-service.js';

const spec = defineConfig('demo', commonFields({ grpc: 0, metrics: 0 }));
type DemoConfig = ReturnType<typeof loadConfig<typeof spec.fields>>['config'];

function setup(
  overrides: Record<string, string> = {},
  start?: (ctx: ServiceContext<DemoConfig>) => Promise<void>,
) {
  const events: Record<string, unknown>[] = [];
  const log = createLogger({
    service: 'demo',
    write: (l) => events.push(JSON.parse(l) as Record<string, unknown>),
  });
  const { config } = loadConfig(spec, { env: overrides });
  const { impl, probe } = createTestingService();
  const running = startService(
    {
      name: 'demo',
      spec,
      start:
        start ??
        ((ctx) => {
          ctx.addGrpcService(TestingService, impl);
          return Promise.resolve();
        }),
    },
    config,
    log,
  );
  return { running, events, probe };
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

describe('service runtime', () => {
  test('serves health and metrics, then shuts down cleanly', async () => {
    const { running, events } = setup();
    const svc = await running;
    await svc.started;
    const transport = createTransport(`127.0.0.1:${svc.grpcPort}`);
    const health = createServiceClient(Health, transport);
    assert.equal((await health.check({ service: '' })).status, Status.SERVING);
    assert.equal(
      (await health.check({ service: 'cohort.testing.v1.TestingService' })).status,
      Status.SERVING,
    );
    await assert.rejects(
      health.check({ service: 'nope.Service' }),
      (e) => e instanceof CohortError && e.code === Code.NotFound,
    );

    await createServiceClient(TestingService, transport).echo({ text: 'x' });
    const metrics = await get(svc.metricsPort, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(
      metrics.body,
      /cohort_build_info\{version="0\.1\.0",node_version="v20[^"]*",run="devnet",service="demo"\} 1/,
    );
    assert.match(metrics.body, /cohort_service_ready\{service="demo"\} 1/);
    assert.match(
      metrics.body,
      /cohort_grpc_server_handled_total\{grpc_service="cohort.testing.v1.TestingService",grpc_method="Echo",grpc_code="OK",service="demo"\} 1/,
    );
    assert.match(metrics.body, /process_cpu_user_seconds_total/);
    assert.equal((await get(svc.metricsPort, '/readyz')).status, 200);
    assert.equal((await get(svc.metricsPort, '/healthz')).status, 200);
    assert.equal((await get(svc.metricsPort, '/nope')).status, 404);

    transport.close();
    const result = await svc.shutdown('test');
    assert.deepEqual(result, { forced: false, reason: 'test' });
    const names = events.map((e) => e.event);
    for (const e of [
      'service_listening',
      'service_started',
      'service_serving',
      'shutdown_started',
      'shutdown_complete',
    ])
      assert.ok(names.includes(e), e);
    await assert.rejects(get(svc.metricsPort, '/healthz'));
  });

  test('SIGTERM-style shutdown drains an in-flight call before stopping', async () => {
    const { running, probe } = setup();
    const svc = await running;
    await svc.started;
    const transport = createTransport(`127.0.0.1:${svc.grpcPort}`);
    const client = createServiceClient(TestingService, transport);
    const inFlight = client.echo({ text: 'slow', delayMs: 400 });
    await new Promise((r) => setTimeout(r, 50));
    const stopping = svc.shutdown('test');
    assert.equal(svc.health.status(), 'NOT_SERVING');
    assert.equal((await inFlight).text, 'slow');
    assert.equal(probe.completed, 1);
    assert.equal((await stopping).forced, false);
    transport.close();
  });

  test('a call longer than the grace period is cut and the shutdown reports forced', async () => {
    const { running } = setup({ COHORT_SHUTDOWN_GRACE_MS: '100' });
    const svc = await running;
    await svc.started;
    const transport = createTransport(`127.0.0.1:${svc.grpcPort}`);
    const call = createServiceClient(TestingService, transport).echo({ text: 'slow', delayMs: 10_000 });
    await new Promise((r) => setTimeout(r, 50));
    const result = await svc.shutdown('test');
    assert.equal(result.forced, true);
    await assert.rejects(call, (e) => e instanceof CohortError);
    transport.close();
  });

  test('health Watch streams readiness changes and ends when the server drains', async () => {
    let release: () => void = () => undefined;
    const { running } = setup({}, (ctx) => {
      ctx.health.setDependency('nats', false);
      release = () => ctx.health.setDependency('nats', true);
      return Promise.resolve();
    });
    const svc = await running;
    await svc.started;
    const transport = createTransport(`127.0.0.1:${svc.grpcPort}`);
    const seen: Status[] = [];
    const watching = (async () => {
      for await (const m of createServiceClient(Health, transport).watch({ service: '' })) {
        seen.push(m.status);
        if (seen.length === 1) release();
        if (seen.length === 2) void svc.shutdown('test');
      }
    })();
    assert.equal((await get(svc.metricsPort, '/readyz')).status, 503);
    await watching;
    assert.deepEqual(seen, [Status.NOT_SERVING, Status.SERVING, Status.NOT_SERVING]);
    transport.close();
  });

  test('a failing start shuts down and rejects with its error', async () => {
    const { running, events } = setup({}, () =>
      Promise.reject(new CohortError(Code.Unavailable, 'no chain', { reason: 'CHAIN_DOWN' })),
    );
    const svc = await running;
    await assert.rejects(svc.started, (e) => e instanceof CohortError && e.reason === 'CHAIN_DOWN');
    assert.ok(events.some((e) => e.event === 'shutdown_complete' && e.reason === 'start_failed'));
  });
});
