/**
 * One prom-client registry per process, with Node's default metrics and the `cohort_*` metrics every
 * service shares (build info, readiness, gRPC server calls). Names follow
 * `cohort_<subsystem>_<name>_<unit>`; no label ever carries a hotkey or a window.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CallObservation } from './grpc/server.js';

/** The process registry plus the shared instruments. */
export interface ServiceMetrics {
  readonly registry: Registry;
  /** Feed gRPC call outcomes here (the server adapter does). */
  readonly observeCall: (call: CallObservation) => void;
  /** 1 while the process reports SERVING. */
  readonly setReady: (ready: boolean) => void;
  /** Track in-flight gRPC calls (drain progress on shutdown). */
  readonly callStarted: (service: string, method: string) => void;
}

/** Options of {@link createServiceMetrics}. */
export interface ServiceMetricsOptions {
  readonly service: string;
  readonly version: string;
  readonly run: string;
}

/** Build the registry a service exposes on /metrics. Call once per process. */
export function createServiceMetrics(options: ServiceMetricsOptions): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'cohort_build_info',
    help: 'Build and run facts of this process; always 1',
    labelNames: ['version', 'node_version', 'run'],
    registers: [registry],
  }).set({ version: options.version, node_version: process.version, run: options.run }, 1);
  new Gauge({
    name: 'cohort_service_start_time_seconds',
    help: 'Unix time the service process started',
    registers: [registry],
  }).set(Math.floor(Date.now() / 1000 - process.uptime()));
  const ready = new Gauge({
    name: 'cohort_service_ready',
    help: '1 while the service reports SERVING (started, not draining, dependencies up)',
    registers: [registry],
  });
  ready.set(0);
  const started = new Counter({
    name: 'cohort_grpc_server_started_total',
    help: 'gRPC calls started on this server',
    labelNames: ['grpc_service', 'grpc_method'],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'cohort_grpc_server_in_flight',
    help: 'gRPC calls being handled now',
    labelNames: ['grpc_service', 'grpc_method'],
    registers: [registry],
  });
  const handled = new Counter({
    name: 'cohort_grpc_server_handled_total',
    help: 'gRPC calls completed on this server, by status code',
    labelNames: ['grpc_service', 'grpc_method', 'grpc_code'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'cohort_grpc_server_handling_seconds',
    help: 'Time to complete a gRPC call on this server',
    labelNames: ['grpc_service', 'grpc_method'],
    buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 30, 120, 600],
    registers: [registry],
  });

  return {
    registry,
    observeCall: (call) => {
      const labels = { grpc_service: call.service, grpc_method: call.method };
      inFlight.dec(labels);
      handled.inc({ ...labels, grpc_code: call.codeName });
      duration.observe(labels, call.durationSeconds);
    },
    callStarted: (service, method) => {
      const labels = { grpc_service: service, grpc_method: method };
      started.inc(labels);
      inFlight.inc(labels);
    },
    setReady: (isReady) => {
      ready.set(isReady ? 1 : 0);
    },
  };
}
