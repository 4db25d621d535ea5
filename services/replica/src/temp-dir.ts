/**
 * Scratch directories under `stateDir` for checkpoint files on their way to or from the store (the
 * engine reads and writes checkpoints as files). Each use gets its own directory, removed afterwards;
 * leftovers of a killed process are removed at start.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

const PREFIX = 'tmp-';

/** Create `stateDir` and remove scratch directories a previous process left behind. */
export async function prepareStateDir(stateDir: string): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  for (const name of await readdir(stateDir)) {
    if (name.startsWith(PREFIX)) await rm(join(stateDir, name), { recursive: true, force: true });
  }
}

/** Run `fn` with a fresh scratch directory, removed when `fn` settles. */
export async function withTempDir<T>(stateDir: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(stateDir, PREFIX));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
