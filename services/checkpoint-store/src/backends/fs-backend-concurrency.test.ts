// Concurrency of the filesystem backend with real files: writers racing on one key (in one backend
// and across two backends on one root, standing in for two processes), readers during writes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { blake2b256 } from '@cohort/core';
import {
  MAX,
  MiB,
  chunks,
  filesUnder,
  freshRoot,
  getBytes,
  hex,
  openBackend,
  readAll,
  reason,
  removeRoots,
} from './fs-test-support.js';

after(removeRoots);

test('concurrent writers of one key, same bytes: exactly one creates it', async () => {
  const root = await freshRoot();
  // Two backends on one root stand in for two processes: the link-based publish is exclusive anyway.
  const backends = [await openBackend(root), await openBackend(root, { sweepOlderThanMs: 60_000 })];
  const data = randomBytes(2 * MiB + 17);
  const results = await Promise.all(
    Array.from({ length: 24 }, (_, i) =>
      backends[i % 2]!.put('w/same', chunks(data, 100_000 + i * 997, 0), { maxBytes: MAX }),
    ),
  );
  assert.equal(results.filter((r) => r.created).length, 1);
  for (const r of results) assert.deepEqual(r.meta.blake2b256, blake2b256(data));
  assert.ok((await getBytes(backends[0]!, 'w/same')).equals(data));
  assert.deepEqual(await filesUnder(path.join(root, 'tmp')), []);
});

test('concurrent writers of one key, different bytes: one wins, the rest OBJECT_EXISTS', async () => {
  const root = await freshRoot();
  const backends = [await openBackend(root), await openBackend(root, { sweepOlderThanMs: 60_000 })];
  const versions = Array.from({ length: 24 }, () => randomBytes(MiB));
  const settled = await Promise.allSettled(
    versions.map((v, i) => backends[i % 2]!.put('w/diff', chunks(v, 65_536, 0), { maxBytes: MAX })),
  );
  const won = settled.flatMap((s, i) => (s.status === 'fulfilled' ? [i] : []));
  assert.equal(won.length, 1, 'exactly one writer wins');
  for (const s of settled) {
    if (s.status === 'rejected') reason('OBJECT_EXISTS')(s.reason);
    else assert.equal(s.value.created, true);
  }
  const winner = versions[won[0]!]!;
  for (const backend of backends) {
    const { meta, body } = await backend.get('w/diff');
    assert.deepEqual(meta.blake2b256, blake2b256(winner));
    assert.ok((await readAll(body)).equals(winner), 'the stored bytes are the winner’s, never a mix');
  }
  assert.deepEqual(await filesUnder(path.join(root, 'tmp')), []);
});

test('readers during a slow 50 MB put see nothing or the whole object', async () => {
  const backend = await openBackend();
  const data = randomBytes(50 * MiB);
  const digest = hex(blake2b256(data));
  let done = false;
  const put = backend
    .put('big/checkpoint', chunks(data, MiB, 2), { maxBytes: MAX, expectedBlake2b256: blake2b256(data) })
    .finally(() => {
      done = true;
    });
  let missing = 0;
  let whole = 0;
  while (!done || whole === 0) {
    const head = await backend.head('big/checkpoint');
    const listed = (await backend.list('big/')).objects;
    for (const meta of [head, ...listed]) {
      if (meta !== undefined) assert.equal(hex(meta.blake2b256), digest);
      if (meta !== undefined) assert.equal(meta.sizeBytes, data.length);
    }
    try {
      const { meta, body } = await backend.get('big/checkpoint');
      assert.equal(hex(meta.blake2b256), digest);
      assert.ok((await readAll(body)).equals(data));
      whole++;
    } catch (error) {
      reason('NOT_FOUND')(error);
      assert.equal(head, undefined, 'visible once, visible for good');
      missing++;
    }
    await sleep(5);
  }
  assert.equal((await put).created, true);
  assert.ok(missing > 5, `readers ran during the upload (${missing} polls)`);
});

test('readers during overwrites of a mutable key see the old or the new object, whole', async () => {
  const repairs: string[] = [];
  const backend = await openBackend(undefined, { onRepair: (key, why) => repairs.push(`${key}: ${why}`) });
  const versions = Array.from({ length: 4 }, () => randomBytes(4 * MiB));
  const digests = versions.map((v) => hex(blake2b256(v)));
  await backend.put('m/LATEST', chunks(versions[0]!), { maxBytes: MAX });
  let done = false;
  const writer = (async () => {
    for (let round = 1; round < 12; round++) {
      const v = versions[round % versions.length]!;
      await backend.put('m/LATEST', chunks(v, 256 * 1024, 0), { maxBytes: MAX, overwrite: true });
    }
    done = true;
  })();
  const seen = new Set<string>();
  const readers = Array.from({ length: 4 }, async () => {
    while (!done) {
      const { meta, body } = await backend.get('m/LATEST');
      const bytes = await readAll(body);
      const index = digests.indexOf(hex(meta.blake2b256));
      assert.ok(index >= 0, 'the record names one of the versions');
      assert.ok(bytes.equals(versions[index]!), 'the body is the version its record names');
      seen.add(digests[index]!);
    }
  });
  await Promise.all([writer, ...readers]);
  assert.ok(seen.size >= 2, `readers saw several versions (${seen.size})`);
  // In one process the key's lock hides the step between the two renames: no reader ever finds a
  // record of another file (which would be safe, but cost a rehash).
  assert.deepEqual(repairs, []);
});

test('a get keeps streaming its object through an overwrite or a delete', async () => {
  const backend = await openBackend();
  const v1 = randomBytes(5 * MiB);
  const v2 = randomBytes(5 * MiB);
  await backend.put('s/LATEST', chunks(v1), { maxBytes: MAX });
  const reading = await backend.get('s/LATEST');
  const iterator = reading.body[Symbol.asyncIterator]();
  const first = await iterator.next();
  await backend.put('s/LATEST', chunks(v2), { maxBytes: MAX, overwrite: true });
  const parts = [Buffer.from(first.value as Uint8Array)];
  for (let r = await iterator.next(); r.done !== true; r = await iterator.next())
    parts.push(Buffer.from(r.value));
  assert.ok(Buffer.concat(parts).equals(v1));

  const deleting = await backend.get('s/LATEST');
  assert.equal(await backend.delete('s/LATEST'), true);
  assert.ok((await readAll(deleting.body)).equals(v2));

  // An abandoned body is released with return(); an aborted one fails with ABORTED.
  await backend.put('s/x', chunks(v1), { maxBytes: MAX });
  const abandoned = await backend.get('s/x');
  await abandoned.body[Symbol.asyncIterator]().return?.();
  const controller = new AbortController();
  const aborted = await backend.get('s/x', undefined, controller.signal);
  const it = aborted.body[Symbol.asyncIterator]();
  await it.next();
  controller.abort();
  await assert.rejects(it.next(), reason('ABORTED'));
});

test('delete prunes empty folders without breaking concurrent puts into them', async () => {
  const root = await freshRoot();
  const backend = await openBackend(root);
  for (let round = 0; round < 20; round++) {
    const key = (i: number) => `p/${round % 3}/w/${i}`;
    await Promise.all([
      ...Array.from({ length: 8 }, (_, i) =>
        backend.put(key(i), chunks(Buffer.from(`${i}`)), { maxBytes: 10 }),
      ),
      ...Array.from({ length: 8 }, (_, i) => backend.delete(key(i + 8))),
    ]);
    await Promise.all(Array.from({ length: 8 }, (_, i) => backend.delete(key(i))));
  }
  assert.deepEqual(await readdir(path.join(root, 'objects')), []);
  assert.deepEqual(await readdir(path.join(root, 'meta')), []);
  // Hard-linked publish leaves no extra link behind.
  await backend.put('q/one', chunks(Buffer.from('x')), { maxBytes: 10 });
  assert.equal((await stat(path.join(root, 'objects/q/one'))).nlink, 1);
});
