/**
 * The filesystem backend: an operator's bucket as a folder (a local disk, a PersistentVolume). Objects
 * are plain files under `objects/`, mirroring their keys, with a metadata record each under `meta/`
 * (layout: fs-layout.ts). A put streams into `tmp/` while hashing and publishes with a rename or link
 * (fs-write.ts), or only hashes the stream when its write-once key exists already; a reader trusts a
 * record only when it matches the data file's inode and size, and rebuilds it otherwise (fs-read.ts).
 * Readers and the publish step of writers hold the key's lock, so in this process a reader sees the old
 * object or the new one, never a mix; a get streams from the handle it opened, so it keeps its bytes
 * even if the key is overwritten or deleted meanwhile. One process owns a root; another process on the
 * same root stays correct (link is exclusive, records are checked) but may trigger rehashes.
 */
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { validateKey, validateKeyPrefix } from '@cohort/core';
import { throwIfAborted } from './abortable-source.js';
import { StoreError, checkPutOptions } from './backend.js';
import type { ObjectBackend, ObjectMeta } from './backend.js';
import { fileBody } from './file-body.js';
import { backendError, createFsLayout, sameBytes } from './fs-layout.js';
import { createFsReader } from './fs-read.js';
import { sweepLeftovers } from './fs-sweep.js';
import { ensureDir, errnoOf, fsyncDir, pruneEmptyDirs } from './fs-util.js';
import { walkKeys } from './fs-walk.js';
import { hashUpload, publishUpload, receiveUpload } from './fs-write.js';
import { createKeyLock } from './key-lock.js';

/** Options of {@link createFsBackend}. */
export interface FsBackendOptions {
  /** The bucket's folder; created if missing. */
  readonly root: string;
  /**
   * At startup, temp files and records without data older than this are removed (default 0: all of
   * them, since one process owns a root). Raise it only when several processes share a root.
   */
  readonly sweepOlderThanMs?: number | undefined;
  /** Clock of `storedUnixMs` (default `Date.now`). */
  readonly now?: (() => number) | undefined;
  /**
   * Someone else's bucket (a peer's, on a one-machine devnet): never sweep, create folders or write
   * repaired records there; `put` and `delete` are refused with `PEER_DENIED`. Default false.
   */
  readonly readOnly?: boolean | undefined;
  /** Called when a stale or missing record was rebuilt from its data file (for a log line). */
  readonly onRepair?: ((key: string, why: string) => void) | undefined;
}

/** Largest list page, and the size of a page when none is asked for. */
export const FS_LIST_PAGE_MAX = 1000;

function badKey(error: unknown): StoreError {
  return new StoreError('BAD_KEY', error instanceof Error ? error.message : 'bad key', { cause: error });
}

/** True for names that are storage keys; files named otherwise (put there by hand) are not listed. */
function isKey(key: string): boolean {
  try {
    validateKey(key);
    return true;
  } catch {
    return false; // not a key: left out of listings
  }
}

/** Unlink `file`; false when there was nothing (or a folder) to unlink. */
async function unlinkIfThere(file: string, what: string): Promise<boolean> {
  try {
    await unlink(file);
    return true;
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'EPERM') return false;
    throw backendError(what, error);
  }
}

/**
 * Open (and sweep) a filesystem backend at `options.root`. Keys are checked with the storage-key
 * rules (`BAD_KEY`); a key that needs a folder where another key is a file (`a` and `a/b`) is `BAD_KEY`
 * too, since a filesystem cannot hold both (the storage layout never needs both).
 */
export async function createFsBackend(options: FsBackendOptions): Promise<ObjectBackend> {
  const layout = createFsLayout(options.root);
  const now = options.now ?? Date.now;
  const lock = createKeyLock();
  const readOnly = options.readOnly === true;
  const reader = createFsReader(layout, options.onRepair, !readOnly);
  let closed = false;

  if (!readOnly) {
    for (const dir of [layout.objectsDir, layout.metaDir, layout.tmpDir]) await ensureDir(dir);
    await sweepLeftovers(layout, options.sweepOlderThanMs ?? 0, now());
  }

  function checkOpen(): void {
    if (closed) throw new StoreError('BACKEND_ERROR', 'the filesystem backend is closed');
  }

  function checkWritable(): void {
    if (readOnly) throw new StoreError('PEER_DENIED', `the bucket at ${layout.root} is read-only here`);
  }

  function checkKey(key: string): void {
    checkOpen();
    try {
      validateKey(key);
    } catch (error) {
      throw badKey(error);
    }
  }

  const head = (key: string): Promise<ObjectMeta | undefined> => lock.run(key, () => reader.head(key));

  return {
    kind: 'filesystem',

    async put(key, source, putOptions) {
      checkKey(key);
      checkWritable();
      checkPutOptions(putOptions);
      const { maxBytes, expectedSize, expectedBlake2b256, signal } = putOptions;
      const overwrite = putOptions.overwrite === true;
      if (expectedSize !== undefined && expectedSize > maxBytes) {
        throw new StoreError('TOO_LARGE', `${expectedSize} bytes exceed the cap of ${maxBytes}`);
      }
      throwIfAborted(signal, 'upload');
      const existing = overwrite ? undefined : await head(key);
      if (existing !== undefined) {
        // Refuse before the upload streams in when the answer is already known.
        if (expectedBlake2b256 !== undefined && !sameBytes(existing.blake2b256, expectedBlake2b256)) {
          throw new StoreError('OBJECT_EXISTS', `${key} exists with other content`);
        }
        // A write-once key that exists can only end in `created: false`: hash the stream, write nothing.
        const { sizeBytes, blake2b256 } = await hashUpload(source, putOptions);
        if (sizeBytes === existing.sizeBytes && sameBytes(blake2b256, existing.blake2b256)) {
          return { meta: existing, created: false };
        }
        throw new StoreError('OBJECT_EXISTS', `${key} exists with other content`);
      }
      const received = await receiveUpload(layout, key, source, putOptions, now);
      try {
        throwIfAborted(signal, 'upload');
        return await lock.run(key, () => publishUpload(layout, reader, received, overwrite));
      } finally {
        await unlinkIfThere(received.temp, 'removing a temp file');
      }
    },

    async get(key, range, signal) {
      checkKey(key);
      throwIfAborted(signal, 'download');
      const visible = await lock.run(key, () => reader.open(key));
      if (visible === undefined) throw new StoreError('NOT_FOUND', `no object ${key}`);
      const size = visible.meta.sizeBytes;
      const offset = range?.offset ?? 0;
      const length = range?.length ?? 0;
      const end = length === 0 ? size : offset + length;
      const valid =
        Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0;
      if (!valid || offset > size || end > size) {
        await visible.handle.close();
        throw new StoreError('BAD_RANGE', `range ${offset}+${length} is outside ${key} (${size} bytes)`, {
          details: { offset, length, sizeBytes: size },
        });
      }
      return { meta: visible.meta, body: fileBody(visible.handle, offset, end - offset, signal) };
    },

    async head(key, signal) {
      checkKey(key);
      throwIfAborted(signal, 'head');
      return head(key);
    },

    async list(prefix, pageToken, pageSize, signal) {
      checkOpen();
      try {
        validateKeyPrefix(prefix);
      } catch (error) {
        throw badKey(error);
      }
      const limit =
        pageSize === undefined || pageSize <= 0
          ? FS_LIST_PAGE_MAX
          : Math.min(Math.floor(pageSize), FS_LIST_PAGE_MAX);
      const after = pageToken === undefined || pageToken === '' ? undefined : pageToken;
      const objects: ObjectMeta[] = [];
      let nextPageToken: string | undefined;
      try {
        for await (const key of walkKeys(layout.objectsDir, prefix, after, isKey)) {
          throwIfAborted(signal, 'list');
          if (objects.length === limit) {
            nextPageToken = objects[objects.length - 1]?.key;
            break;
          }
          const meta = await head(key);
          if (meta !== undefined) objects.push(meta);
        }
      } catch (error) {
        throw backendError('listing', error);
      }
      return nextPageToken === undefined ? { objects } : { objects, nextPageToken };
    },

    async delete(key) {
      checkKey(key);
      checkWritable();
      return lock.run(key, async () => {
        // Data first: a crash in between leaves a record without data, which is invisible.
        const deleted = await unlinkIfThere(layout.dataPath(key), 'deleting an object');
        await unlinkIfThere(layout.metaPath(key), 'deleting an object record');
        if (!deleted) return false;
        try {
          // The folder may be gone already: a concurrent delete of a sibling pruned it.
          await fsyncDir(path.dirname(layout.dataPath(key))).catch((error: unknown) => {
            if (errnoOf(error) !== 'ENOENT') throw error;
          });
          await pruneEmptyDirs(path.dirname(layout.dataPath(key)), layout.objectsDir);
          await pruneEmptyDirs(path.dirname(layout.metaPath(key)), layout.metaDir);
        } catch (error) {
          throw backendError('deleting an object', error);
        }
        return true;
      });
    },

    close() {
      closed = true;
      return Promise.resolve();
    },
  };
}
