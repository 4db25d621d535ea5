/**
 * The body of a `get` from the filesystem backend: a byte range of a file that was opened while the
 * key's metadata was checked. Reading through that open handle, not the path, keeps the body equal to
 * the metadata even if the key is overwritten or deleted meanwhile (the old inode lives until closed).
 * Single use; the handle is closed at the end, on `return()` (a consumer that stops early) and on any
 * failure. A consumer that never iterates must call `return()` to release the handle.
 */
import type { FileHandle } from 'node:fs/promises';
import { IllegalStateError } from '@cohort/core';
import { throwIfAborted } from './abortable-source.js';
import { StoreError } from './backend.js';

const CHUNK_BYTES = 1024 * 1024;

/** `length` bytes of `handle` from `offset`, as an async iterable that owns (and closes) the handle. */
export function fileBody(
  handle: FileHandle,
  offset: number,
  length: number,
  signal: AbortSignal | undefined,
): AsyncIterable<Uint8Array> & AsyncIterator<Uint8Array, undefined> {
  let position = offset;
  let remaining = length;
  let closed = false;
  let started = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  const finish = async (): Promise<IteratorResult<Uint8Array, undefined>> => {
    await close();
    return { done: true, value: undefined };
  };
  const body = {
    [Symbol.asyncIterator]() {
      if (started) throw new IllegalStateError('a get body can be iterated only once');
      started = true;
      return body;
    },
    async next(): Promise<IteratorResult<Uint8Array, undefined>> {
      if (closed) return { done: true, value: undefined };
      if (remaining === 0) return finish();
      try {
        throwIfAborted(signal, 'download');
        const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, remaining));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
        if (bytesRead === 0) {
          throw new StoreError('TRUNCATED', `the stored file ended ${remaining} bytes early`);
        }
        position += bytesRead;
        remaining -= bytesRead;
        return { done: false, value: chunk.subarray(0, bytesRead) };
      } catch (error) {
        await close();
        throw error instanceof StoreError
          ? error
          : new StoreError('BACKEND_ERROR', 'reading a stored file failed', { cause: error });
      }
    },
    async return(): Promise<IteratorResult<Uint8Array, undefined>> {
      return finish();
    },
  };
  return body;
}
