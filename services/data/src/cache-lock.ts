/**
 * One process per dataset cache directory: two workers writing the same sparse files and bitmaps would
 * lose each other's presence bits. The lock is a file `cache.lock` created exclusively, holding the
 * owner's pid and hostname. A lock left by a process that is gone (same host, pid not running, or this
 * very pid after a container restart) is taken over; a live owner's is refused with DATASET_CACHE_BUSY.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DataError } from './data-error.js';

const LOCK_FILE = 'cache.lock';
/** Directories this process holds, so a second open in the same process is refused too. */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the lock text names an owner that can no longer be running. */
function stale(text: string): boolean {
  const [pidText, host] = text.split('\n');
  const pid = Number(pidText);
  if (host !== hostname()) return false; // another machine's: cannot tell, so not ours to take
  return !Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || !alive(pid);
}

/** Take the lock of `dir`; resolves with its release. */
export async function lockCacheDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const busy = (owner: string): DataError =>
    new DataError('DATASET_CACHE_BUSY', `the dataset cache ${dir} is in use by ${owner}`, {
      details: { dir, owner },
    });
  if (held.has(path)) throw busy('this process');
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n${hostname()}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new DataError('OUTPUT_UNWRITABLE', `cannot lock the dataset cache ${dir}`, { cause: error });
      }
      const owner = await readFile(path, 'utf8').catch(() => '');
      if (attempt > 0 || !stale(owner)) throw busy(owner.trim().replace('\n', ' on ') || 'another process');
      await rm(path, { force: true });
    }
  }
  held.add(path);
  return async () => {
    held.delete(path);
    await rm(path, { force: true });
  };
}
