/**
 * Which backend serves a bucket: this operator's from config (filesystem by default, or S3), and peers'
 * from their committed endpoints (`file:///path` on a single-machine devnet, else S3, read-only).
 */
import { InvalidArgumentError, checkPeerEndpoint } from '@cohort/core';

import type { ObjectBackend } from './backends/backend.js';
import { createFsBackend } from './backends/fs-backend.js';
import { createS3Backend } from './backends/s3-backend.js';
import type { Config } from './config.js';
import type { PeerBucket } from './peers/peer-pool.js';

/** This operator's bucket (created when missing). */
export function createOwnBackend(
  config: Config,
  onRepair?: (key: string, why: string) => void,
  onForeign?: (key: string, sizeBytes: number) => void,
): Promise<ObjectBackend> {
  if (config.backend === 'filesystem') return createFsBackend({ root: config.fsRoot, onRepair });
  return createS3Backend({
    endpoint: config.s3Endpoint,
    bucket: config.s3Bucket,
    region: config.s3Region,
    pathStyle: config.s3PathStyle,
    accessKeyId: config.s3AccessKeyId ?? '',
    secretAccessKey: config.s3SecretAccessKey ?? '',
    requestTimeoutMs: config.peerTimeoutMs,
    createBucketIfMissing: true,
    onForeign,
  });
}

/**
 * A peer's bucket, read-only: nothing is created, no request is made until the first read. Endpoints
 * the `peerEndpoints` policy forbids are refused (PEER_ENDPOINT_FORBIDDEN), whoever named them.
 */
export async function createPeerBackend(config: Config, peer: PeerBucket): Promise<ObjectBackend> {
  checkPeerEndpoint(peer.endpoint, config.peerEndpoints);
  if (peer.endpoint.startsWith('file://')) {
    const root = new URL(peer.endpoint).pathname;
    if (root === '' || root === '/') {
      throw new InvalidArgumentError(`a file:// peer endpoint needs a path: ${peer.endpoint}`);
    }
    // Read-only: no sweep of the peer's temp files, no repairs written into its bucket.
    return await createFsBackend({ root: `${root.replace(/\/$/, '')}/${peer.bucket}`, readOnly: true });
  }
  return await createS3Backend({
    endpoint: peer.endpoint,
    bucket: peer.bucket,
    region: peer.region === '' ? 'us-east-1' : peer.region,
    pathStyle: peer.pathStyle,
    accessKeyId: peer.accessKeyId,
    secretAccessKey: peer.secretAccessKey,
    requestTimeoutMs: config.peerTimeoutMs,
    createBucketIfMissing: false,
  });
}
