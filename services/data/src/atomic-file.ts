/**
 * Files that appear whole or not at all: bytes go to `<path>.partial`, which is flushed to disk and
 * renamed over `<path>` on commit. A crash or an abort never leaves a truncated file under the final
 * name, which is what lets a reader trust any manifest it finds (the manifest is written last).
 */
import { open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Suffix of a file being written; never referenced by a manifest. */
const PARTIAL_SUFFIX = '.partial';

/** A file being written; call exactly one of `commit` or `abort`. */
export interface AtomicFile {
  /** Append bytes (awaited: backpressure for large shards). */
  write(bytes: Uint8Array): Promise<void>;
  /** Flush, fsync and rename into place. */
  commit(): Promise<void>;
  /** Close and delete the partial file. */
  abort(): Promise<void>;
}

/** Open `<path>.partial` for writing, truncating any leftover from an earlier crash. */
export async function createAtomicFile(path: string): Promise<AtomicFile> {
  const partial = path + PARTIAL_SUFFIX;
  const handle: FileHandle = await open(partial, 'w');
  let closed = false;
  const close = async (): Promise<void> => {
    if (!closed) {
      closed = true;
      await handle.close();
    }
  };
  return {
    async write(bytes) {
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
      }
    },
    async commit() {
      await handle.sync();
      await close();
      await rename(partial, path);
    },
    async abort() {
      await close();
      await rm(partial, { force: true });
    },
  };
}

/** Flush a directory's entries (renames) to disk; call after the last rename of a dataset. */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Write `bytes` to `path` atomically in one go (the manifest). */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const file = await createAtomicFile(path);
  try {
    await file.write(bytes);
  } catch (err) {
    await file.abort();
    throw err;
  }
  await file.commit();
  await syncDirectory(dirname(path));
}
