/**
 * Get: an info message, then the object (or a byte range of it) in chunks of `chunkBytes`, from the
 * bucket the request names or else the key owner's (ADR 0024): this operator's, or a peer's. Bytes read from a peer are re-hashed on the way when the whole object is
 * read, so a peer that serves different bytes than its metadata claims is caught (PEER_BAD_REPLY).
 */
import { validateKey } from '@cohort/core';
import type { CallContext } from '@cohort/kit';
import type { GetRequest } from '@cohort/proto/cohort/store/v1/checkpoint_store';

import { StoreError } from '../backends/backend.js';
import { createStreamHasher } from '../backends/stream-hash.js';
import { reasonOf } from './put.js';
import type { StoreDeps } from './store-deps.js';
import { bucketFor, objectInfo } from './store-deps.js';

/** Re-chunk a byte stream into pieces of at most `size` bytes. */
async function* rechunk(body: AsyncIterable<Uint8Array>, size: number): AsyncIterable<Uint8Array> {
  for await (const chunk of body) {
    for (let at = 0; at < chunk.length; at += size)
      yield chunk.subarray(at, Math.min(chunk.length, at + size));
  }
}

/** The Get handler. */
export function createGet(deps: StoreDeps) {
  return async function* get(request: GetRequest, ctx: CallContext) {
    const done = deps.metrics.time('get');
    let release = (): void => undefined;
    try {
      const key = validateKey(request.key);
      const peer = bucketFor(deps, request.bucket, key);
      const range =
        request.offset > 0n || request.length > 0n
          ? { offset: Number(request.offset), length: Number(request.length) }
          : undefined;
      // A peer's body streams under its pool slot until it is consumed (PeerPool.runStreaming).
      const streaming =
        peer === undefined
          ? undefined
          : await deps.peers.runStreaming(peer, (b) => b.get(key, range, ctx.signal), ctx.signal);
      if (streaming !== undefined) release = streaming.release;
      const { meta, body } = streaming ?? (await deps.own.get(key, range, ctx.signal));
      yield { part: { case: 'info' as const, value: objectInfo(deps, peer, meta) } };
      const hasher = range === undefined && peer !== undefined ? await createStreamHasher() : undefined;
      let sent = 0;
      for await (const chunk of rechunk(body, deps.chunkBytes)) {
        hasher?.update(chunk);
        sent += chunk.length;
        yield { part: { case: 'chunk' as const, value: chunk } };
      }
      const expected =
        range === undefined
          ? meta.sizeBytes
          : Math.min(range.length || Infinity, meta.sizeBytes - range.offset);
      if (sent !== expected) {
        throw new StoreError('TRUNCATED', `${key}: ${sent} of ${expected} bytes arrived`);
      }
      if (hasher !== undefined && Buffer.compare(hasher.digest(), meta.blake2b256) !== 0) {
        throw new StoreError(
          'PEER_BAD_REPLY',
          `${key}: the peer's bytes do not hash to its stated BLAKE2b-256`,
        );
      }
      deps.metrics.bytes('out', peer === undefined ? 'own' : 'peer', sent);
      deps.metrics.request('get', 'ok');
    } catch (error) {
      deps.metrics.request('get', reasonOf(error));
      throw error;
    } finally {
      release();
      done();
    }
  };
}
