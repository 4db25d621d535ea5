/**
 * Reading an object of the filesystem backend consistently: open the data file, `fstat` it, and
 * trust its record only when the record names that inode and size. A stale record (a crash between
 * a publish's two renames, a restored backup, a file changed by hand) is rebuilt from the data file,
 * which is always whole, since only complete, fsynced files are ever renamed or linked into place.
 * Callers hold the key's lock (key-lock.ts) so an in-process writer is never between its renames.
 */
import { open, readFile, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectMeta } from './backend.js';
import { backendError } from './fs-layout.js';
import type { FsLayout } from './fs-layout.js';
import { DEFAULT_CONTENT_TYPE, decodeMeta, encodeMeta } from './fs-meta.js';
import { ensureDir, errnoOf, fsyncDir, hashFile, writeFileDurable } from './fs-util.js';

/** A visible object: its facts and an open handle on exactly the bytes they describe. */
export interface VisibleObject {
  readonly meta: ObjectMeta;
  readonly handle: FileHandle;
}

/** Reads objects of one root; call under the key's lock. */
export interface FsReader {
  /** The object with an open handle (the caller closes it), or undefined when not visible. */
  open(key: string): Promise<VisibleObject | undefined>;
  /** The object's facts, or undefined when not visible. */
  head(key: string): Promise<ObjectMeta | undefined>;
}

/**
 * A reader of `layout`; `onRepair` hears of every rebuilt record. With `persistRepairs` false (a
 * peer's bucket, read-only) a rebuilt record is used for this read and never written.
 */
export function createFsReader(
  layout: FsLayout,
  onRepair: ((key: string, why: string) => void) | undefined,
  persistRepairs = true,
): FsReader {
  async function readRecord(key: string): Promise<string | undefined> {
    try {
      return await readFile(layout.metaPath(key), 'utf8');
    } catch (error) {
      if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return undefined;
      throw error;
    }
  }

  async function check(key: string, handle: FileHandle): Promise<ObjectMeta | undefined> {
    const st = await handle.stat({ bigint: true });
    if (!st.isFile()) return undefined; // a folder of longer keys, not an object
    const text = await readRecord(key);
    const record = text === undefined ? undefined : decodeMeta(text, key);
    const size = Number(st.size);
    if (record !== undefined && record.inode === st.ino && record.meta.sizeBytes === size) {
      return record.meta;
    }
    onRepair?.(key, record === undefined ? 'missing or damaged record' : 'record of another file');
    const meta: ObjectMeta = {
      key,
      sizeBytes: size,
      blake2b256: await hashFile(handle, size),
      contentType: record?.meta.contentType ?? DEFAULT_CONTENT_TYPE,
      storedUnixMs: Math.floor(Number(st.mtimeMs)),
    };
    if (!persistRepairs) return meta;
    const temp = layout.tempPath();
    await writeFileDurable(temp, encodeMeta({ meta, inode: st.ino }));
    await ensureDir(path.dirname(layout.metaPath(key)));
    await rename(temp, layout.metaPath(key));
    await fsyncDir(path.dirname(layout.metaPath(key)));
    return meta;
  }

  async function openVisible(key: string): Promise<VisibleObject | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(layout.dataPath(key), 'r');
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
      throw backendError('opening an object', error);
    }
    try {
      const meta = await check(key, handle);
      if (meta !== undefined) return { meta, handle };
      await handle.close();
      return undefined;
    } catch (error) {
      await handle.close();
      throw backendError('reading an object record', error);
    }
  }

  return {
    open: openVisible,
    async head(key) {
      const visible = await openVisible(key);
      if (visible === undefined) return undefined;
      await visible.handle.close();
      return visible.meta;
    },
  };
}
