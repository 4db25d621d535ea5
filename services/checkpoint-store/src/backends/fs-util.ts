/**
 * Small durable-filesystem steps of the filesystem backend: fsync a directory after a rename, create
 * folders and remember which entries need an fsync, write a small file durably, prune empty folders,
 * hash a file through an open handle. All asynchronous (node:fs/promises): nothing blocks the loop.
 */
import { open, mkdir, rmdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { createStreamHasher } from './stream-hash.js';

/** The `code` of a Node system error (`ENOENT`), or undefined. */
export function errnoOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** Make the entries of `dir` (renames, links, unlinks) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // A few filesystems cannot fsync a directory; their renames are as durable as they get.
    if (errnoOf(error) !== 'EINVAL' && errnoOf(error) !== 'ENOTSUP') throw error;
  } finally {
    await handle.close();
  }
}

/**
 * Create `dir` and its missing parents; returns the folders whose entries changed (the parent of the
 * first one created and every one created), which the caller fsyncs once its files are in place.
 */
export async function ensureDir(dir: string): Promise<string[]> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return [];
  const changed = [path.dirname(first)];
  for (let d = dir; d.length >= first.length; d = path.dirname(d)) changed.push(d);
  return changed;
}

/** Write every byte of `data` at the handle's position (a write may be partial). */
export async function writeAll(handle: FileHandle, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

/** Create `file` (it must not exist) with `text`, fsynced. */
export async function writeFileDurable(file: string, text: string): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    await writeAll(handle, Buffer.from(text, 'utf8'));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Remove `dir` and then its parents while they are empty, stopping at `stopAt` (never removed). */
export async function pruneEmptyDirs(dir: string, stopAt: string): Promise<void> {
  for (let d = dir; d.startsWith(stopAt + path.sep); d = path.dirname(d)) {
    try {
      await rmdir(d);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return;
      throw error;
    }
  }
}

/** BLAKE2b-256 of the first `size` bytes of an open file. */
export async function hashFile(handle: FileHandle, size: number): Promise<Uint8Array> {
  const hasher = await createStreamHasher();
  const chunk = Buffer.allocUnsafe(Math.min(size, 4 * 1024 * 1024));
  let position = 0;
  while (position < size) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, size - position), position);
    if (bytesRead === 0) break;
    hasher.update(chunk.subarray(0, bytesRead));
    position += bytesRead;
  }
  return hasher.digest();
}
