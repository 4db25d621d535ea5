/**
 * The body of an S3 GET as the backend hands it out: typed failures while it streams (a stall is
 * `PEER_TIMEOUT`, the caller's abort `ABORTED`), a reply that ends or drops short of its promised
 * length is `TRUNCATED` (never silently a shorter object), and a reader that stops early releases
 * the connection.
 */
import type { Readable } from 'node:stream';
import { StoreError } from './backend.js';
import { toStoreError } from './s3-errors.js';

/** Stream `response`, which must carry exactly `expectedBytes` bytes of `key`. */
export async function* responseBody(
  response: Readable,
  expectedBytes: number,
  key: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array, void, undefined> {
  let received = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > expectedBytes) {
        throw new StoreError(
          'PEER_BAD_REPLY',
          `${key}: the reply is longer than the ${expectedBytes} bytes asked for`,
        );
      }
      yield chunk;
    }
  } catch (error) {
    const mapped = toStoreError(error, `reading ${key}`, signal);
    // A connection dropped mid-body is a cut object, whatever the socket called it.
    if (mapped.reason !== 'PEER_UNREACHABLE') throw mapped;
    throw truncated(key, received, expectedBytes, error);
  } finally {
    if (!response.destroyed) response.destroy();
  }
  if (received !== expectedBytes) throw truncated(key, received, expectedBytes, undefined);
}

function truncated(key: string, received: number, expectedBytes: number, cause: unknown): StoreError {
  return new StoreError('TRUNCATED', `${key}: the reply ended after ${received} of ${expectedBytes} bytes`, {
    cause,
    details: { key, receivedBytes: received, expectedBytes },
  });
}
