/**
 * Read an upload stream for the S3 backend: hash it (BLAKE2b-256) and count it as it arrives, refuse
 * it as soon as it passes the cap (`TOO_LARGE`) or the expected size (`SIZE_MISMATCH`), and cut it into
 * parts of exactly `partSize` bytes for a multipart upload. A part is handed out only once more bytes
 * follow it, so an object of at most `partSize` bytes never starts a multipart upload: it comes back
 * whole as the tail, for a single PUT. Chunks are copied as they arrive (a source may reuse its buffer).
 */
import { abortableSource } from './abortable-source.js';
import { StoreError } from './backend.js';
import { createStreamHasher } from './stream-hash.js';

/** Limits and cancellation of one upload. */
export interface ReceiveOptions {
  readonly partSize: number;
  readonly maxBytes: number;
  readonly expectedSize?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** What a finished stream was. */
export interface Received {
  readonly sizeBytes: number;
  readonly blake2b256: Uint8Array;
  /** The bytes after the last part handed out (all of them when no part was): 0..partSize bytes. */
  readonly tail: Buffer;
}

const FIRST_BUFFER_BYTES = 256 * 1024;

/**
 * Read `source` to its end. `onPart` receives every full part, in order, and is awaited (backpressure);
 * without `onPart` the bytes are only hashed and counted (a put that cannot store anything).
 */
export async function receiveParts(
  source: AsyncIterable<Uint8Array>,
  options: ReceiveOptions,
  onPart: ((part: Buffer) => Promise<void>) | undefined,
): Promise<Received> {
  const { partSize, maxBytes, expectedSize, signal } = options;
  const hasher = await createStreamHasher();
  let size = 0;
  let buffer = Buffer.allocUnsafe(onPart === undefined ? 0 : Math.min(partSize, FIRST_BUFFER_BYTES));
  let filled = 0;
  for await (const chunk of abortableSource(source, signal)) {
    size += chunk.length;
    if (size > maxBytes) throw new StoreError('TOO_LARGE', `the object passed its cap of ${maxBytes} bytes`);
    if (expectedSize !== undefined && size > expectedSize) {
      throw new StoreError('SIZE_MISMATCH', `the stream passed the expected ${expectedSize} bytes`);
    }
    hasher.update(chunk);
    if (onPart === undefined) continue;
    let offset = 0;
    while (offset < chunk.length) {
      if (filled === partSize) {
        // A full part with more bytes behind it: send it on and start the next one.
        await onPart(buffer);
        buffer = Buffer.allocUnsafe(partSize);
        filled = 0;
      } else if (filled === buffer.length) {
        const grown = Buffer.allocUnsafe(Math.min(partSize, buffer.length * 4));
        buffer.copy(grown, 0, 0, filled);
        buffer = grown;
      }
      const take = Math.min(buffer.length - filled, chunk.length - offset);
      buffer.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
    }
  }
  if (expectedSize !== undefined && size !== expectedSize) {
    throw new StoreError('SIZE_MISMATCH', `expected ${expectedSize} bytes but the stream had ${size}`);
  }
  return { sizeBytes: size, blake2b256: hasher.digest(), tail: buffer.subarray(0, filled) };
}
