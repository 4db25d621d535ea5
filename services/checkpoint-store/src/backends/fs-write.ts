/**
 * Writing an object of the filesystem backend: receive the upload into a temp file (hashing and
 * checking while it streams), then publish it in two steps under the key's lock: rename the record
 * into `meta/`, then link (write-once: fails if the key exists, even against another process) or
 * rename (overwrite) the data file into `objects/`, then fsync the folders. After a crash anywhere:
 * - before the record's rename: only temp files, removed by the startup sweep;
 * - between the renames: a record without data is invisible (swept at startup); on an overwrite,
 *   the new record does not match the old data file, which is rehashed and stays visible, whole;
 * - after the data's link or rename: the new object, whole.
 */
import { link, open, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { CohortError } from '@cohort/core';
import { abortableSource, throwIfAborted } from './abortable-source.js';
import { StoreError } from './backend.js';
import type { ObjectMeta, PutOptions } from './backend.js';
import { createBlockWriter } from './block-writer.js';
import { backendError, isPathConflict, sameBytes } from './fs-layout.js';
import type { FsLayout } from './fs-layout.js';
import { DEFAULT_CONTENT_TYPE, encodeMeta } from './fs-meta.js';
import type { FsReader } from './fs-read.js';
import { ensureDir, errnoOf, fsyncDir, writeFileDurable } from './fs-util.js';
import { createStreamHasher } from './stream-hash.js';

/** A publish retries this often when a concurrent delete pruned the folder it just created. */
const PUBLISH_ATTEMPTS = 5;

/** A complete, checked, fsynced upload waiting in `tmp/`. */
export interface ReceivedUpload {
  readonly temp: string;
  readonly meta: ObjectMeta;
  readonly inode: bigint;
}

/** Refuse a stream as soon as it passes `maxBytes` or the expected size. */
function checkRunningSize(size: number, { maxBytes, expectedSize }: PutOptions): void {
  if (size > maxBytes) {
    throw new StoreError('TOO_LARGE', `the object passed its cap of ${maxBytes} bytes`);
  }
  if (expectedSize !== undefined && size > expectedSize) {
    throw new StoreError('SIZE_MISMATCH', `the stream passed the expected ${expectedSize} bytes`);
  }
}

/** Refuse a whole stream of another size or hash than expected. */
function checkWhole(
  size: number,
  digest: Uint8Array,
  { expectedSize, expectedBlake2b256 }: PutOptions,
): void {
  if (expectedSize !== undefined && size !== expectedSize) {
    throw new StoreError('SIZE_MISMATCH', `expected ${expectedSize} bytes but the stream had ${size}`);
  }
  if (expectedBlake2b256 !== undefined && !sameBytes(digest, expectedBlake2b256)) {
    throw new StoreError('HASH_MISMATCH', 'the stream does not hash to the expected BLAKE2b-256');
  }
}

/**
 * Read and check `source` as {@link receiveUpload} does, storing nothing: for a write-once key that
 * exists, where the put can only end in `created: false` or `OBJECT_EXISTS`, so re-publishing a big
 * checkpoint costs no temp file on a nearly full disk.
 */
export async function hashUpload(
  source: AsyncIterable<Uint8Array>,
  options: PutOptions,
): Promise<{ sizeBytes: number; blake2b256: Uint8Array }> {
  const hasher = await createStreamHasher();
  let size = 0;
  for await (const chunk of abortableSource(source, options.signal)) {
    size += chunk.length;
    checkRunningSize(size, options);
    hasher.update(chunk);
  }
  const digest = hasher.digest();
  checkWhole(size, digest, options);
  throwIfAborted(options.signal, 'upload');
  return { sizeBytes: size, blake2b256: digest };
}

/**
 * Stream `source` into a new temp file, hashing as it goes. Refuses (and deletes the temp file) as
 * soon as the stream passes `maxBytes` or `expectedSize`, on a size or hash mismatch at the end, and
 * on abort.
 */
export async function receiveUpload(
  layout: FsLayout,
  key: string,
  source: AsyncIterable<Uint8Array>,
  options: PutOptions,
  nowMs: () => number,
): Promise<ReceivedUpload> {
  const { signal } = options;
  const temp = layout.tempPath();
  const handle = await open(temp, 'wx').catch((error: unknown) => {
    throw backendError('creating a temp file', error);
  });
  const hasher = await createStreamHasher();
  const writer = createBlockWriter(handle);
  let size = 0;
  try {
    for await (const chunk of abortableSource(source, signal)) {
      size += chunk.length;
      checkRunningSize(size, options);
      await writer.write(chunk);
      hasher.update(chunk); // while the previous block is being written
    }
    await writer.flush();
    const digest = hasher.digest();
    checkWhole(size, digest, options);
    throwIfAborted(signal, 'upload');
    await handle.sync();
    const st = await handle.stat({ bigint: true });
    await handle.close();
    const contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
    const meta: ObjectMeta = { key, sizeBytes: size, blake2b256: digest, contentType, storedUnixMs: nowMs() };
    return { temp, meta, inode: st.ino };
  } catch (error) {
    await handle.close().catch(() => undefined); // already closed after a late failure
    await rm(temp, { force: true });
    throw error instanceof CohortError ? error : backendError('writing an upload', error);
  }
}

/** Put the data file in place, exclusively for write-once keys. False when the key exists. */
async function placeData(temp: string, target: string, overwrite: boolean): Promise<boolean> {
  if (overwrite) {
    await rename(temp, target);
    return true;
  }
  try {
    await link(temp, target);
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'EEXIST') return false;
    // No hard links on this filesystem: rename, exclusive within this process thanks to the lock.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
    await rename(temp, target);
    return true;
  }
  await unlink(temp);
  return true;
}

/** Run `step` after creating `dir`; retried when a concurrent delete pruned the folder meanwhile. */
async function inFolder<T>(dir: string, synced: Set<string>, step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      for (const changed of await ensureDir(dir)) synced.add(changed);
      return await step();
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT' || attempt === PUBLISH_ATTEMPTS) throw error;
    }
  }
}

const sameObject = (a: ObjectMeta, b: ObjectMeta): boolean =>
  a.sizeBytes === b.sizeBytes && sameBytes(a.blake2b256, b.blake2b256);

/**
 * Make a received upload visible under `key` (call under the key's lock). Same bytes as the stored
 * object: `created: false`; other bytes: `OBJECT_EXISTS` unless `overwrite`. The temp file is left
 * for the caller to remove (it is gone already when linked or renamed).
 */
export async function publishUpload(
  layout: FsLayout,
  reader: FsReader,
  received: ReceivedUpload,
  overwrite: boolean,
): Promise<{ meta: ObjectMeta; created: boolean }> {
  const { temp, meta } = received;
  const key = meta.key;
  const existing = await reader.head(key);
  if (existing !== undefined) {
    if (sameObject(existing, meta)) return { meta: existing, created: false };
    if (!overwrite) throw new StoreError('OBJECT_EXISTS', `${key} exists with other content`);
  }
  const recordTemp = layout.tempPath();
  await writeFileDurable(recordTemp, encodeMeta({ meta, inode: received.inode }));
  const synced = new Set([path.dirname(layout.metaPath(key)), path.dirname(layout.dataPath(key))]);
  let recordPlaced = false;
  try {
    await inFolder(path.dirname(layout.metaPath(key)), synced, () =>
      rename(recordTemp, layout.metaPath(key)),
    );
    recordPlaced = true;
    const placed = await inFolder(path.dirname(layout.dataPath(key)), synced, () =>
      placeData(temp, layout.dataPath(key), overwrite),
    );
    if (!placed) {
      // Another process published the key between our check and our link: its object stands.
      const winner = await reader.head(key);
      if (winner !== undefined && sameObject(winner, meta)) return { meta: winner, created: false };
      throw winner === undefined
        ? new StoreError('BAD_KEY', `${key} is a folder of other keys`)
        : new StoreError('OBJECT_EXISTS', `${key} exists with other content`);
    }
  } catch (error) {
    await rm(recordTemp, { force: true });
    // A record placed for a key that got no data file is an orphan: take it back (it would be
    // invisible anyway, and swept at the next start). A lost race's record was already rebuilt.
    const lost = error instanceof StoreError && error.reason === 'OBJECT_EXISTS';
    if (recordPlaced && existing === undefined && !lost) await rm(layout.metaPath(key), { force: true });
    if (isPathConflict(error)) {
      throw new StoreError(
        'BAD_KEY',
        `${key} conflicts with a stored key (a file where a folder is needed)`,
        {
          cause: error,
        },
      );
    }
    throw backendError('publishing an object', error);
  }
  for (const dir of synced) await fsyncDir(dir);
  return { meta, created: true };
}
