/**
 * Where the filesystem backend keeps things under its root, and the error helpers its parts share.
 *
 *     objects/<key>   the object's bytes, a plain file (a checkpoint is directly loadable)
 *     meta/<key>      its metadata record (fs-meta.ts), bound to the data file by inode and size
 *     tmp/            uploads in progress, on the same filesystem so a rename is atomic
 *
 * Separate trees keep records and temp files out of the key space: no key can collide with them.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { StoreError } from './backend.js';
import { errnoOf } from './fs-util.js';

/** The paths of one root. Keys must be valid storage keys (no `..`, no leading `/`). */
export interface FsLayout {
  readonly root: string;
  readonly objectsDir: string;
  readonly metaDir: string;
  readonly tmpDir: string;
  dataPath(key: string): string;
  metaPath(key: string): string;
  /** A new, unique temp file name. */
  tempPath(): string;
}

/** The layout under `root` (resolved to an absolute path). */
export function createFsLayout(root: string): FsLayout {
  const abs = path.resolve(root);
  const objectsDir = path.join(abs, 'objects');
  const metaDir = path.join(abs, 'meta');
  const tmpDir = path.join(abs, 'tmp');
  return {
    root: abs,
    objectsDir,
    metaDir,
    tmpDir,
    dataPath: (key) => path.join(objectsDir, ...key.split('/')),
    metaPath: (key) => path.join(metaDir, ...key.split('/')),
    tempPath: () => path.join(tmpDir, randomUUID()),
  };
}

/** A filesystem failure as `BACKEND_ERROR` with its errno; a `StoreError` passes through. */
export function backendError(what: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const code = errnoOf(error);
  return new StoreError('BACKEND_ERROR', `${what} failed${code === undefined ? '' : ` (${code})`}`, {
    cause: error,
    ...(code === undefined ? {} : { details: { errno: code } }),
  });
}

/** Errors of a path that runs into a file where a folder is needed, or the other way round. */
export function isPathConflict(error: unknown): boolean {
  return ['ENOTDIR', 'EISDIR', 'ENAMETOOLONG', 'EEXIST'].includes(errnoOf(error) ?? '');
}

/** Byte-wise equality of two digests. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}
