/**
 * Keys under a folder tree in ascending string order, as a listing must return them. Sorting each
 * folder's names is not enough: the keys under folder `a` all start with `a/`, and `a-b` < `a/x` while
 * `a` < `a-b`. Sorting names with `/` appended to folders orders every subtree exactly where its keys
 * belong, so a depth-first walk yields keys sorted. A page token (the last key returned) skips whole
 * subtrees that sort before it.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { errnoOf } from './fs-util.js';

/**
 * Keys (relative paths with `/`) of the regular files under `root` that start with `prefix` and sort
 * after `after`, ascending. `accept` filters names that are not keys (left out, their folders too).
 */
export async function* walkKeys(
  root: string,
  prefix: string,
  after: string | undefined,
  accept: (key: string) => boolean,
): AsyncGenerator<string, void, undefined> {
  const slash = prefix.lastIndexOf('/');
  const folder = prefix.slice(0, slash + 1);
  const namePrefix = prefix.slice(slash + 1);
  yield* walkFolder(root, folder, namePrefix, after, accept);
}

async function* walkFolder(
  root: string,
  folder: string,
  namePrefix: string,
  after: string | undefined,
  accept: (key: string) => boolean,
): AsyncGenerator<string, void, undefined> {
  let entries;
  try {
    entries = await readdir(path.join(root, ...folder.split('/')), { withFileTypes: true });
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return; // nothing stored under this folder
    throw error;
  }
  const named = entries
    .filter((entry) => entry.name.startsWith(namePrefix) && (entry.isFile() || entry.isDirectory()))
    .map((entry) => ({ sortKey: entry.name + (entry.isDirectory() ? '/' : ''), dir: entry.isDirectory() }))
    .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  for (const { sortKey, dir } of named) {
    const key = folder + sortKey;
    if (dir) {
      if (after !== undefined && key < after && !after.startsWith(key)) continue;
      if (!accept(key.slice(0, -1))) continue;
      yield* walkFolder(root, key, '', after, accept);
    } else if ((after === undefined || key > after) && accept(key)) {
      yield key;
    }
  }
}
