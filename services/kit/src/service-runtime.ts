/**
 * The lifecycle every cohort service shares: listen (gRPC with grpc.health.v1, HTTP /metrics), start
 * the service's own parts, report readiness, and on shutdown drain in-flight calls, run the service's
 * cleanup hooks, and stop. In-process and testable; {@link runServiceMain} adds the process concerns.
 */
import type { DescService } from '@bufbuild/protobuf';
import { CohortError } from '@cohort/core';
import { Health } from '@cohort/proto/grpc/health/v1/health';
import * as grpc from '@grpc/grpc-js';
import { createHealthService } from './grpc/health-service.js';
import { registerService } from './grpc/server.js';
import type { ServiceImpl } from './grpc/types.js';
import { HealthState } from './health.js';
import type { Logger } from './log.js';
import { createServiceMetrics } from './metrics.js';
import type { ServiceMetrics } from './metrics.js';
import { startMetricsServer } from './metrics-server.js';
import type { ConfigOf, ConfigSpec, FieldMap } from './config/spec.js';
import type { commonFields } from './config/common-fields.js';
import { COHORT_VERSION } from './version.js';

/** The config keys the runtime itself reads (every service spec includes them). */
export type RuntimeConfig = ConfigOf<ReturnType<typeof commonFields>>;

/** What a service's `start` receives. */
export interface ServiceContext<C> {
  readonly config: C;
  readonly log: Logger;
  readonly metrics: ServiceMetrics;
  readonly health: HealthState;
  /** Register a gRPC service implementation (also makes its name known to health checks). */
  addGrpcService<S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>): void;
  /** Run `fn` during shutdown after gRPC has drained; hooks run in reverse order of registration. */
  onShutdown(name: string, fn: () => Promise<void>): void;
  /** Aborted when shutdown begins (stop loops, give up waiting for dependencies). */
  readonly shutdownSignal: AbortSignal;
}

/** A service binary's definition: its name, config spec and how to start its own parts. */
export interface ServiceDefinition<F extends FieldMap> {
  /** Short name, e.g. `compressor`; the binary is `cohort-<name>`. */
  readonly name: string;
  readonly spec: ConfigSpec<F>;
  /**
   * Rules across keys that single-field parsers cannot express (e.g. "backend s3 needs an endpoint").
   * Throw a ConfigError; the binary then exits with code 2 like for any other bad value.
   */
  validate?(config: ConfigOf<F>): void;
  /**
   * Start the service's parts: register gRPC services, connect dependencies, start loops. Called once
   * the servers listen; the service reports SERVING when this resolves and every dependency is up.
   */
  start(ctx: ServiceContext<ConfigOf<F>>): Promise<void>;
}

/** How a shutdown went. */
export interface ShutdownResult {
  /** True when in-flight calls or hooks had to be cut at the grace deadline. */
  readonly forced: boolean;
  readonly reason: string;
}

/** A listening service. */
export interface RunningService {
  readonly grpcPort: number;
  readonly metricsPort: number;
  readonly health: HealthState;
  /**
   * Resolves when the service's own `start` completed; rejects (after shutting down) when it failed,
   * including when a shutdown began while it was still starting.
   */
  readonly started: Promise<void>;
  /** Begin (or join) the shutdown; resolves when everything is stopped. */
  shutdown(reason: string): Promise<ShutdownResult>;
}

function bind(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, ms));
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Start `definition` with an already-loaded config. Resolves once the servers listen (health answers
 * NOT_SERVING); the service's own `start` then runs, tracked by `started`, so a shutdown can interrupt
 * a start that waits on an unreachable dependency.
 */
export async function startService<F extends FieldMap>(
  definition: ServiceDefinition<F>,
  config: ConfigOf<F> & RuntimeConfig,
  log: Logger,
): Promise<RunningService> {
  const health = new HealthState();
  const metrics = createServiceMetrics({
    service: definition.name,
    version: COHORT_VERSION,
    run: config.runId,
  });
  const draining = new AbortController();
  const hooks: { name: string; fn: () => Promise<void> }[] = [];
  const server = new grpc.Server({
    'grpc.max_receive_message_length': config.grpcMaxMessageBytes,
    'grpc.max_send_message_length': config.grpcMaxMessageBytes,
  });
  const registerOptions = {
    draining: draining.signal,
    onCallStart: metrics.callStarted,
    onCallEnd: metrics.observeCall,
  };
  health.subscribe((status) => {
    metrics.setReady(status === 'SERVING');
    log.info(status === 'SERVING' ? 'service_serving' : 'service_not_serving', {
      waitingFor: health.downDependencies(),
    });
  });
  registerService(server, Health, createHealthService(health), registerOptions);

  const grpcPort = await bind(server, config.grpcHost, config.grpcPort);
  const metricsServer = await startMetricsServer({
    host: config.metricsHost,
    port: config.metricsPort,
    registry: metrics.registry,
    health,
  }).catch((err: unknown) => {
    server.forceShutdown();
    throw err;
  });
  log.info('service_listening', {
    grpcPort,
    metricsPort: metricsServer.port,
    grpcHost: config.grpcHost,
    metricsHost: config.metricsHost,
  });

  let stopping: Promise<ShutdownResult> | undefined;
  const shutdown = (reason: string): Promise<ShutdownResult> =>
    (stopping ??= (async () => {
      const began = Date.now();
      const deadline = began + config.shutdownGraceMs;
      log.info('shutdown_started', { reason, graceMs: config.shutdownGraceMs });
      health.markDraining();
      draining.abort();
      let forced = false;
      const drained = await withTimeout(
        new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
        deadline - Date.now(),
      );
      if (drained === 'timeout') {
        forced = true;
        log.warn(
          'shutdown_forced',
          { stage: 'grpc', graceMs: config.shutdownGraceMs },
          'in-flight calls cut at the grace deadline',
        );
        server.forceShutdown();
      }
      for (const hook of hooks.reverse()) {
        const outcome = await withTimeout(
          hook.fn().then(
            () => 'ok' as const,
            (err: unknown) => {
              log.error('shutdown_hook_failed', { hook: hook.name, error: CohortError.from(err) });
              return 'failed' as const;
            },
          ),
          Math.max(deadline - Date.now(), 1000),
        );
        if (outcome === 'timeout') {
          forced = true;
          log.warn('shutdown_forced', { stage: 'hook', hook: hook.name });
        }
      }
      await metricsServer.close();
      log.info('shutdown_complete', { reason, forced, durationMs: Date.now() - began });
      return { forced, reason };
    })());

  const ctx: ServiceContext<ConfigOf<F>> = {
    config,
    log,
    metrics,
    health,
    addGrpcService(service, impl) {
      registerService(server, service, impl, registerOptions);
      health.addService(service.typeName);
    },
    onShutdown(name, fn) {
      hooks.push({ name, fn });
    },
    shutdownSignal: draining.signal,
  };
  const started = Promise.resolve()
    .then(() => definition.start(ctx))
    .then(
      () => {
        if (draining.signal.aborted) return;
        health.markStarted();
        log.info('service_started', { version: COHORT_VERSION });
      },
      async (err: unknown) => {
        await shutdown('start_failed');
        throw err;
      },
    );
  return { grpcPort, metricsPort: metricsServer.port, health, started, shutdown };
}
