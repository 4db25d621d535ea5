/**
 * Put: a header (key, optional size and expected hash, content type), then data chunks, streamed into
 * this operator's backend without buffering the object. The backend hashes while streaming and makes
 * the object visible atomically; the same bytes under the same key succeed again (`created: false`).
 * With a bucket limit, capacity is held before the bytes are stored (bucket-usage.ts).
 */
import { InvalidArgumentError, keyAllowsOverwrite, validateKey } from '@cohort/core';
import type { CallContext } from '@cohort/kit';
import type { PutRequest } from '@cohort/proto/cohort/store/v1/checkpoint_store';

import { StoreError } from '../backends/backend.js';
import type { Reservation } from '../bucket-usage.js';
import type { StoreDeps } from './store-deps.js';
import { objectInfo } from './store-deps.js';

/** The data chunks after the header, as an async iterable the backend consumes. */
async function* chunksAfterHeader(iterator: AsyncIterator<PutRequest>): AsyncIterable<Uint8Array> {
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) return;
    const { part } = next.value;
    if (part.case !== 'chunk') {
      throw new InvalidArgumentError('a Put sends one header, then only chunks', { reason: 'PUT_PROTOCOL' });
    }
    yield part.value;
  }
}

/**
 * Capacity for one upload, held before its first byte is stored. A declared size that does not fit is
 * BUCKET_FULL, unless the write-once key already holds an object of that size (and hash, when one is
 * expected): such a put can only answer `created: false`, so re-publishing a checkpoint into a nearly
 * full bucket needs no room; one of another size or hash is OBJECT_EXISTS at once. An undeclared
 * upload holds nothing yet and grows its hold as its bytes arrive.
 */
async function holdCapacity(
  deps: StoreDeps,
  key: string,
  declared: number | undefined,
  expected: Uint8Array | undefined,
  overwrite: boolean,
): Promise<Reservation> {
  if (declared === undefined) return deps.usage.reserveAsReceived();
  if (overwrite || declared <= deps.usage.available) return deps.usage.reserve(declared);
  const existing = await deps.own.head(key);
  // Absent: BUCKET_FULL (unless space was freed during the head).
  if (existing === undefined) return deps.usage.reserve(declared);
  const sameHash = expected === undefined || Buffer.from(existing.blake2b256).equals(expected);
  if (existing.sizeBytes !== declared || !sameHash) {
    throw new StoreError('OBJECT_EXISTS', `${key} exists with other content`);
  }
  // Only a concurrent delete of the key could make this put store bytes without a hold: at most one
  // object past the limit, counted by `stored` all the same.
  return deps.usage.reserve(0);
}

/** The Put handler. */
export function createPut(deps: StoreDeps) {
  return async (requests: AsyncIterable<PutRequest>, ctx: CallContext) => {
    const done = deps.metrics.time('put');
    try {
      const iterator = requests[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done === true || first.value.part.case !== 'header') {
        throw new InvalidArgumentError('a Put starts with a header', { reason: 'PUT_PROTOCOL' });
      }
      const header = first.value.part.value;
      const key = validateKey(header.key);
      if (header.expectedBlake2b256.length !== 0 && header.expectedBlake2b256.length !== 32) {
        throw new InvalidArgumentError('expected_blake2b256 must have 32 bytes or none', {
          reason: 'PUT_PROTOCOL',
        });
      }
      // A size of 0 is "not declared" on the wire (an empty object declares nothing either).
      const declared = header.sizeBytes > 0n ? Number(header.sizeBytes) : undefined;
      const expected = header.expectedBlake2b256.length === 32 ? header.expectedBlake2b256 : undefined;
      const overwrite = keyAllowsOverwrite(key);
      const replaced = overwrite && deps.usage.limited ? ((await deps.own.head(key))?.sizeBytes ?? 0) : 0;
      const reservation = await holdCapacity(deps, key, declared, expected, overwrite);
      let received = 0;
      let growing = declared === undefined;
      const counted = async function* () {
        for await (const chunk of chunksAfterHeader(iterator)) {
          received += chunk.length;
          // An undeclared stream holds capacity before each chunk goes on (BUCKET_FULL when it does not
          // fit), unless its write-once key exists: then nothing can be stored, as in holdCapacity.
          if (growing) {
            try {
              reservation.growTo(Math.max(0, received - replaced));
            } catch (error) {
              if (overwrite || (await deps.own.head(key)) === undefined) throw error;
              growing = false;
            }
          }
          yield chunk;
        }
      };
      let stored;
      try {
        stored = await deps.own.put(key, counted(), {
          maxBytes: deps.maxObjectBytes,
          expectedSize: declared,
          expectedBlake2b256: expected,
          overwrite,
          contentType: header.contentType === '' ? undefined : header.contentType,
          signal: ctx.signal,
        });
      } finally {
        reservation.release();
      }
      const { meta, created } = stored;
      if (created) deps.usage.stored(meta.sizeBytes, replaced);
      deps.metrics.bytes('in', 'own', received);
      deps.metrics.request('put', 'ok');
      deps.log.debug('object_put', { key, sizeBytes: meta.sizeBytes, created });
      return { info: objectInfo(deps, undefined, meta), created };
    } catch (error) {
      deps.metrics.request('put', reasonOf(error));
      throw error;
    } finally {
      done();
    }
  };
}

/** The reason label of a failure, for metrics. */
export function reasonOf(error: unknown): string {
  const reason = (error as { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason : 'ERROR';
}
