/**
 * Keys every cohort service has. Each service spreads these into its own spec with its default ports,
 * so operators see the same names (and env twins) on every binary.
 */
import type { BucketCommitment } from '@cohort/core';
import { ConfigError } from './config-error.js';
import { field } from './field.js';
import { envName } from './spec.js';

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

/** A BLAKE2b-256 digest in hex, or nothing. */
const hash256OrEmpty = /^([0-9a-fA-F]{64})?$/;

/**
 * Where a worker that reads the run's dataset (gpu-worker, gauntlet-evaluator) finds it besides a local
 * `datasetManifest`: a key prefix in the run's checkpoint-store, read by range into a sparse local cache
 * (docs/data.md §6), so a node needs neither a copy of the whole dataset nor a shared filesystem.
 */
export function datasetStoreFields() {
  return {
    datasetPrefix: field.string({
      doc: "Key prefix, in the run's checkpoint-store (storeAddress), of a cohort-shards/1 dataset published with `cohort data publish`; samples are fetched by range into datasetCacheDir when first needed. Exclusive with datasetManifest",
      default: '',
      allowEmpty: true,
    }),
    datasetCacheDir: field.string({
      doc: 'Local directory of the sparse copy of the datasetPrefix dataset: ids and fetched samples, kept across restarts',
      default: './dataset-cache',
    }),
    datasetManifestHash: field.string({
      doc: "BLAKE2b-256 (64 hex digits, printed by `cohort data publish`) the datasetPrefix dataset's manifest.json must hash to; empty: trust the store's manifest (logged at start)",
      default: '',
      allowEmpty: true,
      pattern: hash256OrEmpty,
      patternDoc: '64 hex digits, or empty',
    }),
  };
}

/** The keys {@link checkDatasetSource} reads. */
export interface DatasetSourceConfig {
  readonly datasetManifest: string;
  readonly datasetPrefix: string;
  readonly storeAddress: string;
}

/**
 * Rules across the dataset keys: at most one of `datasetManifest` and `datasetPrefix`, and a prefix
 * only with a store to read it from. Throws a ConfigError (CONFIG_CONFLICT).
 */
export function checkDatasetSource(config: DatasetSourceConfig): void {
  const conflict = (key: string, message: string): ConfigError =>
    new ConfigError(`${key} (env ${envName(key)}) ${message}`, 'CONFIG_CONFLICT', key, undefined);
  if (config.datasetPrefix === '') return;
  if (config.datasetManifest !== '') {
    throw conflict('datasetPrefix', 'and datasetManifest name two datasets: set one of them');
  }
  if (config.storeAddress === '') {
    throw conflict(
      'datasetPrefix',
      "needs storeAddress: the dataset is read from the run's checkpoint-store",
    );
  }
}

/**
 * The bucket this operator commits on chain (protocol §7) so the others read it (ADR 0024): its endpoint
 * and READ-ONLY credentials, public there. Empty endpoint: commit nothing. The chain-bridge commits it at
 * start in every role; the miner's coordinator may too (the same bytes are skipped).
 */
export function bucketCommitFields() {
  return {
    commitEndpoint: field.string({
      doc: "Endpoint of this operator's bucket to commit on chain at start (https://host, file:///path); empty: commit nothing",
      default: '',
      allowEmpty: true,
    }),
    commitBucket: field.string({ doc: 'Bucket name to commit', default: '', allowEmpty: true }),
    commitRegion: field.string({
      doc: 'Bucket region to commit (auto for R2)',
      default: 'auto',
      allowEmpty: true,
    }),
    commitPathStyle: field.bool({ doc: 'Commit path-style addressing', default: true }),
    commitAccessKeyId: field.secret({
      doc: 'READ-ONLY access key id to commit (public on chain)',
      optional: true,
    }),
    commitSecretAccessKey: field.secret({ doc: 'Its READ-ONLY secret (public on chain)', optional: true }),
  };
}

/** The bucket commitment {@link bucketCommitFields} describe, or undefined when none is to be made. */
export function bucketCommitmentOf(c: {
  readonly commitEndpoint: string;
  readonly commitBucket: string;
  readonly commitRegion: string;
  readonly commitPathStyle: boolean;
  readonly commitAccessKeyId?: string | undefined;
  readonly commitSecretAccessKey?: string | undefined;
}): BucketCommitment | undefined {
  if (c.commitEndpoint === '') return undefined;
  return {
    endpoint: c.commitEndpoint,
    bucket: c.commitBucket,
    region: c.commitRegion,
    accessKeyId: c.commitAccessKeyId ?? '',
    secretAccessKey: c.commitSecretAccessKey ?? '',
    pathStyle: c.commitPathStyle,
  };
}
