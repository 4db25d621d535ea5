/**
 * Sequential writes of an upload into its temp file, gathered into blocks and overlapped with the
 * caller's work: while one block is written by the threadpool, the next fills (and the caller hashes).
 * Every chunk is copied into a block, so a source may reuse its buffer as soon as it is handed over.
 */
import type { FileHandle } from 'node:fs/promises';
import { writeAll } from './fs-util.js';

/** Block size of {@link createBlockWriter}. */
export const BLOCK_BYTES = 1024 * 1024;

/** Appends bytes to a file; `flush` waits until everything is written. */
export interface BlockWriter {
  write(chunk: Uint8Array): Promise<void>;
  flush(): Promise<void>;
}

/** A {@link BlockWriter} on `handle` with two blocks: one filling, one being written. */
export function createBlockWriter(handle: FileHandle): BlockWriter {
  const blocks = [Buffer.allocUnsafe(BLOCK_BYTES), Buffer.allocUnsafe(BLOCK_BYTES)];
  let current = 0;
  let filled = 0;
  let pending: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;

  const settle = async (): Promise<void> => {
    await pending;
    if (failure !== undefined) throw failure.error;
  };
  const ship = async (): Promise<void> => {
    await settle();
    const block = blocks[current]!.subarray(0, filled);
    // Started now, awaited at the next ship or flush; a failure is kept, never an unhandled rejection.
    pending = writeAll(handle, block).then(
      () => undefined,
      (error: unknown) => {
        failure = { error };
      },
    );
    current = 1 - current;
    filled = 0;
  };

  return {
    async write(chunk: Uint8Array): Promise<void> {
      let offset = 0;
      while (offset < chunk.length) {
        const take = Math.min(BLOCK_BYTES - filled, chunk.length - offset);
        blocks[current]!.set(chunk.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === BLOCK_BYTES) await ship();
      }
    },
    async flush(): Promise<void> {
      if (filled > 0) await ship();
      await settle();
    },
  };
}
