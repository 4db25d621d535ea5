import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadPresence, PresenceSet, savePresence } from './presence-file.js';

const root = await mkdtemp(join(tmpdir(), 'cohort-presence-'));
after(() => rm(root, { recursive: true, force: true }));
const hashA = new Uint8Array(32).fill(1);
const hashB = new Uint8Array(32).fill(2);

describe('presence files', () => {
  test('a saved set loads back with the same members and count', async () => {
    const set = new PresenceSet(13);
    for (const s of [0, 7, 8, 12, 7]) set.add(s);
    assert.equal(set.count, 4);
    const path = join(root, 'a.present');
    await savePresence(path, set, hashA);
    const loaded = await loadPresence(path, hashA, 13);
    assert.ok(loaded);
    assert.equal(loaded.count, 4);
    for (let s = 0; s < 13; s++) assert.equal(loaded.has(s), [0, 7, 8, 12].includes(s), `sample ${s}`);
  });

  test('a set of other shard contents, another size, or damaged bytes is not trusted', async () => {
    const set = new PresenceSet(13);
    set.add(3);
    const path = join(root, 'b.present');
    await savePresence(path, set, hashA);
    assert.equal(await loadPresence(path, hashB, 13), undefined, 'other tokens hash');
    assert.equal(await loadPresence(path, hashA, 14), undefined, 'other sample count');
    assert.equal(await loadPresence(join(root, 'missing.present'), hashA, 13), undefined, 'no file');
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 1));
    assert.equal(await loadPresence(path, hashA, 13), undefined, 'truncated');
    const stray = Buffer.from(bytes);
    stray[stray.length - 1] = (stray[stray.length - 1] ?? 0) | 0x80; // bit of sample 15, past the 13 samples
    await writeFile(path, stray);
    assert.equal(await loadPresence(path, hashA, 13), undefined, 'stray bit');
    const magic = Buffer.from(bytes);
    magic[0] = 0;
    await writeFile(path, magic);
    assert.equal(await loadPresence(path, hashA, 13), undefined, 'bad magic');
  });
});
