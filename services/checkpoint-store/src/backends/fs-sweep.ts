/**
 * The filesystem backend's startup sweep: remove what a crashed process left behind. Temp files
 * (uploads that never completed) and records whose data file is missing (a crash between a publish's
 * two renames, or between a delete's two unlinks) are invisible already; the sweep reclaims their
 * space. Records that do not match their data file are left to the lazy repair of fs-read.ts.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FsLayout } from './fs-layout.js';
import { errnoOf } from './fs-util.js';
import { walkKeys } from './fs-walk.js';

/** Remove leftovers older than `olderThanMs` (0: all of them). */
export async function sweepLeftovers(layout: FsLayout, olderThanMs: number, nowMs: number): Promise<void> {
  const isOld = async (file: string): Promise<boolean> =>
    olderThanMs <= 0 || nowMs - (await stat(file)).mtimeMs >= olderThanMs;
  for (const name of await readdir(layout.tmpDir)) {
    const file = path.join(layout.tmpDir, name);
    if (await isOld(file)) await rm(file, { force: true, recursive: true });
  }
  for await (const key of walkKeys(layout.metaDir, '', undefined, () => true)) {
    try {
      await stat(layout.dataPath(key));
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT' && errnoOf(error) !== 'ENOTDIR') throw error;
      if (await isOld(layout.metaPath(key))) await rm(layout.metaPath(key), { force: true });
    }
  }
}
