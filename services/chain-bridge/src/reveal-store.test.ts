import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RevealStore } from './reveal-store.js';
import type { PendingCommit } from './reveal-store.js';

const root = await mkdtemp(join(tmpdir(), 'cohort-reveals-'));
after(() => rm(root, { recursive: true, force: true }));
let dirs = 0;
const freshStateDir = (): string => join(root, `state-${dirs++}`);

const HASH_A = `0x${'a1'.repeat(32)}`;
const HASH_B = `0x${'0b'.repeat(32)}`;

function commit(commitHash: string, overrides: Partial<PendingCommit> = {}): PendingCommit {
  return {
    netuid: 3,
    hotkey: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY',
    uids: [0, 4, 7],
    weights: [65535, 1200, 0],
    salt: [1, 2, 3, 4, 5, 6, 7, 8],
    versionKey: '18446744073709551615',
    commitHash,
    createdUnixMs: 1_700_000_000_000,
    state: 'committing',
    ...overrides,
  };
}

const fileName = (c: PendingCommit): string => `${c.commitHash.slice(2)}.json`;

describe('RevealStore', () => {
  test('put, list and delete round-trip', async () => {
    const stateDir = freshStateDir();
    const store = new RevealStore(stateDir);
    const a = commit(HASH_A);
    const b = commit(HASH_B, { netuid: 9, uids: [], weights: [], salt: [255] });
    await store.put(a);
    await store.put(b);
    // Listed in file-name order, field for field.
    assert.deepEqual(await store.list(), [b, a]);
    // One file per commit, named after the hash without 0x, holding the record as JSON.
    const dir = join(stateDir, 'reveals');
    assert.deepEqual((await readdir(dir)).sort(), [fileName(b), fileName(a)]);
    assert.deepEqual(JSON.parse(await readFile(join(dir, fileName(a)), 'utf8')), a);

    await store.delete(a);
    assert.deepEqual(await store.list(), [b]);
    await store.delete({ commitHash: HASH_B });
    assert.deepEqual(await store.list(), []);
    assert.deepEqual(await readdir(dir), []);
    // Deleting what is not there is fine.
    await store.delete(a);
  });

  test('a new store over the same directory sees what an earlier one wrote (restart)', async () => {
    const stateDir = freshStateDir();
    await new RevealStore(stateDir).put(commit(HASH_A));
    assert.deepEqual(await new RevealStore(stateDir).list(), [commit(HASH_A)]);
  });

  test('put of the same commitHash replaces the record', async () => {
    const stateDir = freshStateDir();
    const store = new RevealStore(stateDir);
    await store.put(commit(HASH_A));
    const committed = commit(HASH_A, {
      state: 'committed',
      commitBlock: 1000,
      firstRevealBlock: 1360,
      lastRevealBlock: 1720,
    });
    await store.put(committed);
    const listed = await store.list();
    assert.deepEqual(listed, [committed]);
    assert.equal(listed[0]?.state, 'committed');
    assert.equal(listed[0]?.firstRevealBlock, 1360);
    assert.equal((await readdir(join(stateDir, 'reveals'))).length, 1);
  });

  test('list on a missing directory is empty and reports nothing', async () => {
    const bad: string[] = [];
    assert.deepEqual(await new RevealStore(freshStateDir()).list((f) => bad.push(f)), []);
    assert.deepEqual(bad, []);
  });

  test('bad files are skipped and reported through onBad; stray files are ignored', async () => {
    const stateDir = freshStateDir();
    const store = new RevealStore(stateDir);
    const good = commit(HASH_A);
    await store.put(good);
    const dir = join(stateDir, 'reveals');
    const notJson = `${'c'.repeat(64)}.json`;
    const noHash = `${'d'.repeat(64)}.json`;
    const noSalt = `${'e'.repeat(64)}.json`;
    const nullFile = `${'f'.repeat(64)}.json`;
    await writeFile(join(dir, notJson), '{"netuid": 3, "commitHash": ');
    const withoutHash: Record<string, unknown> = { ...commit(`0x${'d'.repeat(64)}`) };
    delete withoutHash['commitHash'];
    await writeFile(join(dir, noHash), JSON.stringify(withoutHash));
    const withoutSalt: Record<string, unknown> = { ...commit(`0x${'e'.repeat(64)}`) };
    delete withoutSalt['salt'];
    await writeFile(join(dir, noSalt), JSON.stringify(withoutSalt));
    await writeFile(join(dir, nullFile), 'null');
    // Not matching `<64 lower-case hex>.json`: never read, never reported.
    for (const stray of [
      'README',
      'notes.json',
      `${'a'.repeat(63)}.json`,
      `${'A'.repeat(64)}.json`,
      `${'a'.repeat(64)}.json.tmp-123-1`,
      `${'a'.repeat(64)}.json.bak`,
    ]) {
      await writeFile(join(dir, stray), 'garbage');
    }
    await mkdir(join(dir, 'subdir'));

    const bad = new Map<string, string>();
    const listed = await store.list((file, error) => bad.set(file, error));
    assert.deepEqual(listed, [good]);
    assert.deepEqual([...bad.keys()].sort(), [notJson, noHash, noSalt, nullFile].sort());
    assert.equal(bad.get(noHash), 'missing fields');
    assert.equal(bad.get(noSalt), 'missing fields');
    for (const error of bad.values()) assert.ok(error.length > 0);
    // Without onBad the bad files are still skipped silently.
    assert.deepEqual(await store.list(), [good]);
  });

  test('20 concurrent puts of the same record all succeed and leave exactly one file', async () => {
    const stateDir = freshStateDir();
    const store = new RevealStore(stateDir);
    const record = commit(HASH_A);
    await Promise.all(Array.from({ length: 20 }, () => store.put(record)));
    const dir = join(stateDir, 'reveals');
    assert.deepEqual(await readdir(dir), [fileName(record)], 'one record, no temp files left behind');
    assert.deepEqual(await store.list(), [record]);
  });

  test('concurrent puts of different records leave one file each', async () => {
    const stateDir = freshStateDir();
    const store = new RevealStore(stateDir);
    const records = Array.from({ length: 10 }, (_, i) =>
      commit(`0x${i.toString(16).padStart(2, '0').repeat(32)}`, { netuid: i }),
    );
    await Promise.all(records.map((r) => store.put(r)));
    assert.deepEqual((await readdir(join(stateDir, 'reveals'))).sort(), records.map(fileName).sort());
    assert.deepEqual(await store.list(), records);
  });

  test('records are written with mode 0600 in a 0700 directory', async () => {
    const stateDir = freshStateDir();
    const store = new RevealStore(stateDir);
    await store.put(commit(HASH_A));
    await store.put(commit(HASH_A, { state: 'committed', commitBlock: 5 })); // the replacement too
    const dir = join(stateDir, 'reveals');
    assert.equal((await stat(join(dir, fileName(commit(HASH_A))))).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
  });
});
