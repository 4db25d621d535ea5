import { PEER_ENDPOINT_POLICIES } from '@cohort/core';
import { commonFields, defineConfig, field } from '@cohort/kit';
import type { ConfigOf } from '@cohort/kit';

/** An SS58 address or nothing (the checksum is checked at start). */
const SS58_OR_EMPTY = /^([1-9A-HJ-NP-Za-km-z]{46,48})?$/;

/** checkpoint-store configuration: backend choice, where objects live, limits. */
export const configSpec = defineConfig('checkpoint-store', {
  ...commonFields({ grpc: 50053, metrics: 9103 }),
  backend: field.enum({
    doc: 'Object storage backend of this operator bucket',
    default: 'filesystem',
    values: ['filesystem', 's3'] as const,
  }),
  fsRoot: field.string({ doc: 'Root directory of the filesystem backend', default: './.cohort/store' }),
  s3Endpoint: field.string({
    doc: 'S3 endpoint (https://host:port) for the s3 backend',
    default: '',
    allowEmpty: true,
  }),
  s3Bucket: field.string({ doc: 'Bucket name for the s3 backend', default: '', allowEmpty: true }),
  s3Region: field.string({ doc: 'Bucket region', default: 'us-east-1' }),
  s3PathStyle: field.bool({ doc: 'Path-style addressing (MinIO, RADOS Gateway)', default: true }),
  s3AccessKeyId: field.secret({ doc: 'Write access key id of this operator bucket', optional: true }),
  s3SecretAccessKey: field.secret({ doc: 'Write secret access key of this operator bucket', optional: true }),
  maxObjectBytes: field.int({
    doc: 'Largest object accepted by Put',
    default: 64 * 1024 * 1024 * 1024,
    min: 1024,
    max: 1024 ** 4,
    unit: 'bytes',
  }),
  maxBucketBytes: field.int({
    doc: 'Size limit of this operator bucket (0: unlimited); puts past it fail with BUCKET_FULL',
    default: 0,
    min: 0,
    max: 2 ** 52,
    unit: 'bytes',
  }),
  responseChunkBytes: field.int({
    doc: 'Bytes per streamed Get response message',
    default: 1024 * 1024,
    min: 4096,
    max: 3 * 1024 * 1024,
    unit: 'bytes',
  }),
  maxListPage: field.int({ doc: 'Most objects per List page', default: 1000, min: 1, max: 10000 }),
  peerConcurrency: field.int({
    doc: "Concurrent requests to one peer's bucket (a slow peer holds only these)",
    default: 4,
    min: 1,
    max: 64,
  }),
  peerAttempts: field.int({
    doc: 'Attempts per read of a peer (transient failures only)',
    default: 3,
    min: 1,
    max: 10,
  }),
  peerRetryBaseMs: field.int({
    doc: 'First retry back-off ceiling (full jitter, doubling)',
    default: 200,
    min: 1,
    max: 60000,
    unit: 'ms',
  }),
  peerRetryMaxMs: field.int({
    doc: 'Largest retry back-off ceiling',
    default: 2000,
    min: 1,
    max: 600000,
    unit: 'ms',
  }),
  peerTimeoutMs: field.int({
    doc: 'Timeout of one request to a peer',
    default: 10000,
    min: 100,
    max: 600000,
    unit: 'ms',
  }),
  maxPeers: field.int({ doc: 'Peer clients kept open at once', default: 512, min: 1, max: 100000 }),
  peerIdleMs: field.int({
    doc: 'Close a peer client idle this long',
    default: 600000,
    min: 1000,
    max: 86400000,
    unit: 'ms',
  }),
  watchMinPollMs: field.int({
    doc: 'Shortest Watch poll interval',
    default: 250,
    min: 10,
    max: 60000,
    unit: 'ms',
  }),
  watchMaxMs: field.int({
    doc: 'Longest Watch (deadline − now)',
    default: 900000,
    min: 1000,
    max: 86400000,
    unit: 'ms',
  }),
  storeReplicas: field.int({
    doc: 'How many checkpoint-store processes write this bucket (the chart sets it from its replicas); the bucket limit and retention are kept per process, so maxBucketBytes > 0 and retentionWindows > 0 need 1',
    default: 1,
    min: 1,
    max: 64,
  }),
  retentionWindows: field.int({
    doc: "A window's objects go once this many + 1 newer windows of its run were written after it (0 disables garbage collection)",
    default: 0,
    min: 0,
    max: 1_000_000,
  }),
  retentionCheckpoints: field.int({
    doc: 'Complete checkpoints kept per chain of a run by garbage collection, newest first (with the aggregates to replay from them)',
    default: 2,
    min: 1,
    max: 1000,
  }),
  retentionIntervalMs: field.int({
    doc: 'Time between garbage-collection passes',
    default: 600000,
    min: 1000,
    max: 86400000,
    unit: 'ms',
  }),
  peerEndpoints: field.enum({
    doc: 'Which committed peer endpoints are contacted: public (https to public hosts only) or any (devnets and single-machine tests: http, file://, loopback)',
    default: 'public',
    values: PEER_ENDPOINT_POLICIES,
  }),
  chainBridgeAddress: field.string({
    doc: "chain-bridge (host:port) whose bucket commitments route reads to their owners' buckets (ADR 0024); empty: every read without a bucket is of this operator's bucket (one shared run bucket, the devnet)",
    default: '',
    allowEmpty: true,
  }),
  netuid: field.int({ doc: 'Subnet whose bucket commitments are read', default: 3, min: 0, max: 65535 }),
  aggregatorHotkey: field.string({
    doc: "SS58 hotkey of the run's aggregator: aggregates, checkpoints and LATEST are read from the bucket it committed; empty: from this operator's bucket",
    default: '',
    allowEmpty: true,
    pattern: SS58_OR_EMPTY,
    patternDoc: 'an SS58 address, or empty',
  }),
  trustedValidator: field.string({
    doc: "SS58 hotkey of the validator whose selections the run follows: selections are read from the bucket it committed; empty: from this operator's bucket",
    default: '',
    allowEmpty: true,
    pattern: SS58_OR_EMPTY,
    patternDoc: 'an SS58 address, or empty',
  }),
  commitmentsRefreshMs: field.int({
    doc: 'Time between reads of the bucket commitments from the chain-bridge',
    default: 60000,
    min: 1000,
    max: 3600000,
    unit: 'ms',
  }),
  firstSeenEntries: field.int({
    doc: 'First-seen times remembered (oldest forgotten first)',
    default: 200000,
    min: 1000,
    max: 10000000,
  }),
});

export type Config = ConfigOf<typeof configSpec.fields>;
