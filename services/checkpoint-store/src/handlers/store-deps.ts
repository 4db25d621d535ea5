/**
 * What every checkpoint-store handler needs: this operator's backend, the peer pool for reads of other
 * buckets, the first-seen registry (the store's own clock), limits and logging/metrics hooks.
 */
import type { Logger } from '@cohort/kit';

import type { ObjectBackend, ObjectMeta } from '../backends/backend.js';
import type { BucketUsage } from '../bucket-usage.js';
import type { FirstSeenRegistry } from '../peers/first-seen.js';
import type { PeerBucket, PeerPool } from '../peers/peer-pool.js';
import type { ReadRouter } from '../routing/read-router.js';

/** Hooks into prom-client metrics, kept narrow so handlers are testable without a registry. */
export interface StoreMetrics {
  /** `result`: 'ok', or the failure's reason code. */
  request(rpc: string, result: string): void;
  bytes(direction: 'in' | 'out', bucket: 'own' | 'peer', n: number): void;
  time(rpc: string): () => void;
}

export interface StoreDeps {
  readonly own: ObjectBackend;
  /** Bytes in this operator's bucket against its limit. */
  readonly usage: BucketUsage;
  readonly peers: PeerPool;
  /** Where reads that name no bucket go (ADR 0024). */
  readonly router: ReadRouter;
  readonly firstSeen: FirstSeenRegistry;
  readonly maxObjectBytes: number;
  /** Bytes per streamed response chunk. */
  readonly chunkBytes: number;
  readonly maxPageSize: number;
  readonly minPollIntervalMs: number;
  readonly maxWatchMs: number;
  readonly now: () => number;
  readonly log: Logger;
  readonly metrics: StoreMetrics;
}

/** The protobuf BucketEndpoint as the pool's {@link PeerBucket}, or undefined when none is named. */
export function peerOf(ref: { peer?: PeerBucket | undefined } | undefined): PeerBucket | undefined {
  const peer = ref?.peer;
  if (peer === undefined || peer.endpoint === '') return undefined;
  return peer;
}

/**
 * The bucket a read of `key` goes to: the one the request names, else the key owner's (the router;
 * undefined: this operator's own).
 */
export function bucketFor(
  deps: StoreDeps,
  ref: { peer?: PeerBucket | undefined } | undefined,
  key: string,
): PeerBucket | undefined {
  return peerOf(ref) ?? deps.router.route(key);
}

/** Run a read against this operator's bucket or, through the pool, a peer's. */
export function readFrom<T>(
  deps: StoreDeps,
  peer: PeerBucket | undefined,
  fn: (backend: ObjectBackend) => Promise<T>,
  signal: AbortSignal,
): Promise<T> {
  return peer === undefined ? fn(deps.own) : deps.peers.run(peer, fn, signal);
}

/** The first-seen time of an object: own objects when stored, peers' when this store first saw them. */
export function firstSeenOf(deps: StoreDeps, peer: PeerBucket | undefined, meta: ObjectMeta): number {
  if (peer === undefined) return meta.storedUnixMs;
  return deps.firstSeen.observe(
    `${peer.endpoint}|${peer.bucket}|${meta.key}|${Buffer.from(meta.blake2b256).toString('hex')}`,
  );
}

/** ObjectInfo init of a meta. */
export function objectInfo(deps: StoreDeps, peer: PeerBucket | undefined, meta: ObjectMeta) {
  return {
    key: meta.key,
    sizeBytes: BigInt(meta.sizeBytes),
    blake2b256: meta.blake2b256,
    firstSeenUnixMs: BigInt(firstSeenOf(deps, peer, meta)),
    contentType: meta.contentType,
  };
}
