/**
 * Put: a header (key, optional size and expected hash, content type), then data chunks, streamed into
 * this operator's backend without buffering the object. The backend hashes while streaming and makes
 * the object visible atomically; the same bytes under the same key succeed again (`created: false`).
 */
import { InvalidArgumentError, keyAllowsOverwrite, validateKey } from '@cohort/core';
import type { CallContext } from '@cohort/kit';
import type { PutRequest } from '@cohort/proto/cohort/store/v1/checkpoint_store';

import { StoreError } from '../backends/backend.js';
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
      let received = 0;
      const counted = async function* () {
        for await (const chunk of chunksAfterHeader(iterator)) {
          received += chunk.length;
          yield chunk;
        }
      };
      const declared = header.sizeBytes > 0n ? Number(header.sizeBytes) : undefined;
      const overwrite = keyAllowsOverwrite(key);
      const replaced = overwrite && deps.usage.limited ? ((await deps.own.head(key))?.sizeBytes ?? 0) : 0;
      // Capacity is reserved before the first byte: a put that cannot fit fails at once or at the cap.
      const reservation = deps.usage.reserve(declared, deps.maxObjectBytes);
      let stored;
      try {
        stored = await deps.own.put(key, counted(), {
          maxBytes: Math.min(deps.maxObjectBytes, reservation.bytes + replaced),
          expectedSize: declared,
          expectedBlake2b256: header.expectedBlake2b256.length === 32 ? header.expectedBlake2b256 : undefined,
          overwrite,
          contentType: header.contentType === '' ? undefined : header.contentType,
          signal: ctx.signal,
        });
      } catch (error) {
        const capped = reservation.bytes + replaced < deps.maxObjectBytes;
        if (capped && error instanceof StoreError && error.reason === 'TOO_LARGE') {
          throw new StoreError(
            'BUCKET_FULL',
            `${key}: the bucket's size limit leaves ${reservation.bytes} bytes`,
            {
              cause: error,
            },
          );
        }
        throw error;
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
