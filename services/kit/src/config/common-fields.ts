/**
 * Keys every cohort service has. Each service spreads these into its own spec with its default ports,
 * so operators see the same names (and env twins) on every binary.
 */
import { field } from './field.js';

/** Default gRPC and metrics ports of one service. */
export interface ServicePorts {
  readonly grpc: number;
  readonly metrics: number;
}

const runIdPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The common fields, parameterised by the service's default ports. */
export function commonFields(ports: ServicePorts) {
  return {
    runId: field.string({
      doc: 'Training run this node belongs to; namespaces storage keys and NATS subjects',
      default: 'devnet',
      pattern: runIdPattern,
      patternDoc: 'lowercase letters, digits and dashes, 1-63 characters',
    }),
    grpcHost: field.string({
      doc: 'Address the gRPC server binds (0.0.0.0 inside a pod)',
      default: '127.0.0.1',
    }),
    grpcPort: field.port({ doc: 'gRPC server port', default: ports.grpc }),
    grpcMaxMessageBytes: field.int({
      doc: 'Largest single gRPC message accepted or sent; bulk data travels as chunked streams',
      default: 8 * 1024 * 1024,
      min: 64 * 1024,
      max: 512 * 1024 * 1024,
      unit: 'bytes',
    }),
    metricsHost: field.string({
      doc: 'Address the /metrics, /healthz and /readyz HTTP server binds',
      default: '127.0.0.1',
    }),
    metricsPort: field.port({ doc: 'Prometheus /metrics port', default: ports.metrics }),
    logLevel: field.enum({
      doc: 'Lowest log level written',
      default: 'info',
      values: ['debug', 'info', 'warn', 'error'] as const,
    }),
    shutdownGraceMs: field.int({
      doc: 'How long SIGTERM waits for in-flight calls to finish before cutting them',
      default: 15_000,
      min: 0,
      max: 600_000,
      unit: 'ms',
    }),
  };
}

/** The NATS connection keys, for services that publish or consume events. */
export function natsFields() {
  return {
    natsUrl: field.list({
      doc: 'NATS server URLs (JetStream enabled), comma-separated',
      default: ['nats://127.0.0.1:4222'],
      item: /^(nats|tls|ws|wss):\/\/[^\s,]+$/,
      itemDoc: 'nats://host:port',
      min: 1,
    }),
    natsToken: field.secret({ doc: 'NATS auth token', optional: true }),
  };
}

/** An SS58 address or nothing (the checksum is checked where the address is used). */
const ss58OrEmpty = /^([1-9A-HJ-NP-Za-km-z]{46,48})?$/;

/**
 * Whom a replica trusts for a run's aggregates (core's AggregateTrust), for every service that applies
 * them (the miner's coordinator, the evaluator). Empty keys trust any valid signer and check no
 * selection: fine on a devnet, logged at start.
 */
export function aggregateTrustFields() {
  return {
    aggregatorHotkey: field.string({
      doc: "SS58 hotkey of the run's aggregator: only aggregates it signed are applied; empty: any valid signature",
      default: '',
      allowEmpty: true,
      pattern: ss58OrEmpty,
      patternDoc: 'an SS58 address, or empty',
    }),
    trustedValidator: field.string({
      doc: "SS58 hotkey of the validator whose selections (selections/<w>) an aggregate's contributors must be in; empty: not checked",
      default: '',
      allowEmpty: true,
      pattern: ss58OrEmpty,
      patternDoc: 'an SS58 address, or empty',
    }),
  };
}
