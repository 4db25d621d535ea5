export * from './config/index.js';
export { createLogger } from './log.js';
export type { Logger, LogLevel, LogFields, LoggerOptions } from './log.js';
export { HealthState } from './health.js';
export type { ServingStatus } from './health.js';
export { createServiceMetrics } from './metrics.js';
export type { ServiceMetrics, ServiceMetricsOptions } from './metrics.js';
export { startMetricsServer } from './metrics-server.js';
export type { MetricsServer, MetricsServerOptions } from './metrics-server.js';
export { registerService } from './grpc/server.js';
export type { CallObservation, RegisterOptions } from './grpc/server.js';
export { createTransport, createServiceClient } from './grpc/client.js';
export type { Transport, TransportOptions } from './grpc/client.js';
export { toGrpcStatus, fromGrpcError } from './grpc/status.js';
export { createHealthService } from './grpc/health-service.js';
export { inProcessCall } from './grpc/in-process.js';
export type * from './grpc/types.js';
export { connectNats, ensureStream } from './nats.js';
export type { NatsHandle, ConnectNatsOptions } from './nats.js';
export { startService } from './service-runtime.js';
export type {
  ServiceContext,
  ServiceDefinition,
  RunningService,
  ShutdownResult,
  RuntimeConfig,
} from './service-runtime.js';
export { runServiceMain, ExitCode } from './service-main.js';
export type { MainOptions } from './service-main.js';
export { COHORT_VERSION } from './version.js';
export { useNats } from './service-nats.js';
export type { NatsConfig } from './service-nats.js';
export { registerGpuMemoryMetric } from './gpu-memory.js';
export type { GpuMemory } from './gpu-memory.js';
export { StoreClient } from './store-client.js';
export { commitBucket } from './bucket-commit.js';
export type { CommitmentSetter } from './bucket-commit.js';
export { writeFully } from './file-io.js';
export type { StoreClientOptions, StoredObject } from './store-client.js';
export {
  declareScoreStreams,
  SCORE_RESULTS_DUPLICATE_WINDOW_MS,
  scoreJobKind,
  scoreMessageId,
} from './score-streams.js';
export { aggregateTrustOf, fetchSelection, fetchTrustedAggregate } from './trusted-aggregate.js';
export type { AggregateFetch, TrustedAggregate } from './trusted-aggregate.js';
