import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { blake2b256 } from '@cohort/core';
import { encodeMeta } from './fs-meta.js';
import {
  MAX,
  chunks,
  filesUnder,
  freshRoot,
  getBytes,
  openBackend,
  readAll,
  reason,
  removeRoots,
} from './fs-test-support.js';

after(removeRoots);

test('put, head, get, ranges, list and delete round trip', async () => {
  const backend = await openBackend(undefined, { now: () => 1_700_000_000_000 });
  const data = randomBytes(300_000);
  const put = await backend.put('cohort/v1/r/aggregates/7', chunks(data, 1000), {
    maxBytes: MAX,
    contentType: 'application/x-cohort',
  });
  assert.equal(put.created, true);
  assert.deepEqual(put.meta, {
    key: 'cohort/v1/r/aggregates/7',
    sizeBytes: data.length,
    blake2b256: blake2b256(data),
    contentType: 'application/x-cohort',
    storedUnixMs: 1_700_000_000_000,
  });
  assert.deepEqual(await backend.head('cohort/v1/r/aggregates/7'), put.meta);
  assert.ok((await getBytes(backend, 'cohort/v1/r/aggregates/7')).equals(data));
  const range = async (offset: number, length?: number) =>
    readAll((await backend.get('cohort/v1/r/aggregates/7', { offset, length })).body);
  assert.ok((await range(10, 20)).equals(data.subarray(10, 30)));
  assert.ok((await range(299_990)).equals(data.subarray(299_990)));
  assert.ok((await range(0, data.length)).equals(data));
  assert.equal((await range(data.length)).length, 0);
  for (const [offset, length] of [
    [data.length + 1, 0],
    [0, data.length + 1],
    [data.length - 1, 2],
    [-1, 0],
    [0, -5],
    [0.5, 1],
  ] as const) {
    await assert.rejects(range(offset, length), reason('BAD_RANGE'), `${offset}+${length}`);
  }
  assert.equal(await backend.head('cohort/v1/r/aggregates/8'), undefined);
  await assert.rejects(backend.get('cohort/v1/r/aggregates/8'), reason('NOT_FOUND'));
  const empty = await backend.put('cohort/v1/r/selections/7', chunks(new Uint8Array(0)), { maxBytes: 10 });
  assert.equal(empty.meta.sizeBytes, 0);
  assert.equal(empty.meta.contentType, 'application/octet-stream');
  assert.equal((await getBytes(backend, 'cohort/v1/r/selections/7')).length, 0);
  const listed = await backend.list('cohort/v1/r/');
  assert.deepEqual(
    listed.objects.map((o) => o.key),
    ['cohort/v1/r/aggregates/7', 'cohort/v1/r/selections/7'],
  );
  assert.equal(listed.nextPageToken, undefined);
  assert.deepEqual(listed.objects[0], put.meta);
  assert.equal(await backend.delete('cohort/v1/r/aggregates/7'), true);
  assert.equal(await backend.delete('cohort/v1/r/aggregates/7'), false);
  assert.equal(await backend.head('cohort/v1/r/aggregates/7'), undefined);
  await backend.close();
  await assert.rejects(backend.head('cohort/v1/r/selections/7'), reason('BACKEND_ERROR'));
});

test('idempotent by content; OBJECT_EXISTS unless overwrite', async () => {
  let clock = 1000;
  const backend = await openBackend(undefined, { now: () => clock++ });
  const v1 = randomBytes(5000);
  const v2 = randomBytes(5000);
  const first = await backend.put('k/LATEST', chunks(v1), { maxBytes: MAX });
  const again = await backend.put('k/LATEST', chunks(v1, 7), { maxBytes: MAX });
  assert.equal(again.created, false);
  assert.deepEqual(again.meta, first.meta, 'the stored object is untouched');
  await assert.rejects(backend.put('k/LATEST', chunks(v2), { maxBytes: MAX }), reason('OBJECT_EXISTS'));
  assert.ok((await getBytes(backend, 'k/LATEST')).equals(v1));
  const replaced = await backend.put('k/LATEST', chunks(v2), { maxBytes: MAX, overwrite: true });
  assert.equal(replaced.created, true);
  assert.deepEqual(replaced.meta.blake2b256, blake2b256(v2));
  assert.ok((await getBytes(backend, 'k/LATEST')).equals(v2));
  const same = await backend.put('k/LATEST', chunks(v2), { maxBytes: MAX, overwrite: true });
  assert.equal(same.created, false);
  // With the expected hash known, a conflicting put is refused before its stream is read.
  const untouchable: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      throw new Error('the stream must not be read');
    },
  };
  await assert.rejects(
    backend.put('k/LATEST', untouchable, { maxBytes: MAX, expectedBlake2b256: blake2b256(v1) }),
    reason('OBJECT_EXISTS'),
  );
});

test('a put of a write-once key that exists only hashes its stream: no temp file', async () => {
  const root = await freshRoot();
  const backend = await openBackend(root);
  const key = 'cohort/v1/r/aggregates/1';
  const data = randomBytes(200_000);
  const first = await backend.put(key, chunks(data), { maxBytes: MAX });
  let tempFiles = -1;
  async function* watched(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
    yield* chunks(bytes);
    tempFiles = (await filesUnder(path.join(root, 'tmp'))).length; // the whole stream has been taken
  }
  const again = await backend.put(key, watched(data), { maxBytes: MAX });
  assert.deepEqual([again.created, again.meta, tempFiles], [false, first.meta, 0]);
  tempFiles = -1;
  await assert.rejects(
    backend.put(key, watched(randomBytes(200_000)), { maxBytes: MAX }),
    reason('OBJECT_EXISTS'),
  );
  assert.equal(tempFiles, 0);
  // The stream is checked as any other: its cap and its declared size and hash.
  await assert.rejects(backend.put(key, chunks(data), { maxBytes: 1000 }), reason('TOO_LARGE'));
  await assert.rejects(
    backend.put(key, chunks(data), { maxBytes: MAX, expectedSize: data.length - 1 }),
    reason('SIZE_MISMATCH'),
  );
  assert.ok((await getBytes(backend, key)).equals(data));
});

test('refused uploads leave nothing behind, and an old object intact', async () => {
  const root = await freshRoot();
  const backend = await openBackend(root);
  const old = randomBytes(1000);
  await backend.put('a/old', chunks(old), { maxBytes: MAX });
  const data = randomBytes(100_000);
  let pulled = 0;
  let stopped = false;
  async function* endless(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        pulled++;
        await Promise.resolve();
        yield data.subarray(0, 10_000);
      }
    } finally {
      stopped = true;
    }
  }
  await assert.rejects(backend.put('a/new', endless(), { maxBytes: 95_000 }), reason('TOO_LARGE'));
  assert.equal(pulled, 10, 'stopped at the chunk that passed the cap');
  assert.equal(stopped, true, 'the source was told to stop');
  await assert.rejects(
    backend.put('a/new', chunks(data), { maxBytes: 1000, expectedSize: 100_000 }),
    reason('TOO_LARGE'),
  );
  for (const expectedSize of [99_999, 100_001]) {
    await assert.rejects(
      backend.put('a/new', chunks(data), { maxBytes: MAX, expectedSize }),
      reason('SIZE_MISMATCH'),
    );
  }
  await assert.rejects(
    backend.put('a/new', chunks(data), { maxBytes: MAX, expectedBlake2b256: blake2b256(old) }),
    reason('HASH_MISMATCH'),
  );
  // A failed overwrite of an existing key leaves the old object.
  await assert.rejects(
    backend.put('a/old', chunks(data), { maxBytes: MAX, overwrite: true, expectedSize: 5 }),
    reason('SIZE_MISMATCH'),
  );
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield data.subarray(0, 10);
    await sleep(1);
    throw new Error('client went away');
  }
  await assert.rejects(backend.put('a/new', failing(), { maxBytes: MAX }), reason('ABORTED'));
  assert.equal(await backend.head('a/new'), undefined);
  assert.ok((await getBytes(backend, 'a/old')).equals(old));
  assert.deepEqual(await filesUnder(path.join(root, 'tmp')), []);
  assert.deepEqual(
    (await backend.list('')).objects.map((o) => o.key),
    ['a/old'],
  );
});

test('an aborted put (signal) leaves nothing, even when the source stalls', async () => {
  const root = await freshRoot();
  const backend = await openBackend(root);
  const controller = new AbortController();
  async function* stalling(): AsyncGenerator<Uint8Array> {
    yield new Uint8Array(1000);
    await new Promise(() => undefined); // never resolves: a client that stopped sending
  }
  const put = backend.put('a/b', stalling(), { maxBytes: MAX, signal: controller.signal });
  await sleep(30);
  assert.equal((await filesUnder(path.join(root, 'tmp'))).length, 1, 'the upload is in a temp file');
  controller.abort(new Error('deadline'));
  await assert.rejects(put, reason('ABORTED'));
  assert.equal(await backend.head('a/b'), undefined);
  assert.deepEqual(await filesUnder(path.join(root, 'tmp')), []);
  assert.deepEqual(await filesUnder(path.join(root, 'objects')), []);
  assert.deepEqual(await filesUnder(path.join(root, 'meta')), []);
  const already = AbortSignal.abort();
  await assert.rejects(
    backend.put('a/b', chunks(new Uint8Array(10)), { maxBytes: MAX, signal: already }),
    reason('ABORTED'),
  );
});

test('bad keys and keys that need a folder where a file is', async () => {
  const backend = await openBackend();
  for (const key of ['', '../x', '/x', 'a//b', 'a/./b', 'a\\b', 'a\nb', 'a b', 'x'.repeat(1025)]) {
    await assert.rejects(backend.put(key, chunks(new Uint8Array(1)), { maxBytes: 10 }), reason('BAD_KEY'));
    await assert.rejects(backend.head(key), reason('BAD_KEY'));
  }
  await assert.rejects(backend.list('../'), reason('BAD_KEY'));
  await backend.put('f/a', chunks(new Uint8Array(1)), { maxBytes: 10 });
  await assert.rejects(backend.put('f/a/b', chunks(new Uint8Array(1)), { maxBytes: 10 }), reason('BAD_KEY'));
  await backend.put('g/a/b', chunks(new Uint8Array(1)), { maxBytes: 10 });
  await assert.rejects(backend.put('g/a', chunks(new Uint8Array(1)), { maxBytes: 10 }), reason('BAD_KEY'));
  assert.equal(await backend.head('g/a'), undefined);
  assert.deepEqual(
    (await backend.list('')).objects.map((o) => o.key),
    ['f/a', 'g/a/b'],
  );
});

test('list: ascending string order across folders, pages, prefixes', async () => {
  const root = await freshRoot();
  const backend = await openBackend(root);
  const keys = [
    'r/a-b',
    'r/a/x',
    'r/a/y/z',
    'r/a0',
    'r/updates/1/k',
    'r/updates/10/k',
    'r/updates/9/k',
    'r/LATEST',
    's/x',
  ];
  for (const key of keys) await backend.put(key, chunks(Buffer.from(key)), { maxBytes: 100 });
  // A file that is not a key and an upload in progress are never listed.
  await writeFile(path.join(root, 'objects', 'r', 'bad name'), 'x');
  const sorted = [...keys].sort();
  assert.deepEqual(
    (await backend.list('')).objects.map((o) => o.key),
    sorted,
  );
  const paged: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await backend.list('', token, 2);
    paged.push(...page.objects.map((o) => o.key));
    token = page.nextPageToken;
    pages++;
  } while (token !== undefined);
  assert.deepEqual(paged, sorted);
  assert.equal(pages, 5);
  assert.deepEqual(
    (await backend.list('r/updates/1')).objects.map((o) => o.key),
    ['r/updates/1/k', 'r/updates/10/k'],
  );
  assert.deepEqual(
    (await backend.list('r/updates/1/')).objects.map((o) => o.key),
    ['r/updates/1/k'],
  );
  assert.deepEqual(
    (await backend.list('r/a')).objects.map((o) => o.key),
    ['r/a-b', 'r/a/x', 'r/a/y/z', 'r/a0'],
  );
  assert.deepEqual((await backend.list('nothing/')).objects, []);
  // A page token from the middle of a folder resumes there.
  assert.deepEqual(
    (await backend.list('r/', 'r/a/x', 2)).objects.map((o) => o.key),
    ['r/a/y/z', 'r/a0'],
  );
});

test('crash states: records without data, stale records, temp files', async () => {
  const root = await freshRoot();
  const repairs: string[] = [];
  let backend = await openBackend(root, { onRepair: (key, why) => repairs.push(`${key}: ${why}`) });
  const v1 = randomBytes(4096);
  const v2 = randomBytes(4096);
  await backend.put('c/latest', chunks(v1), { maxBytes: MAX, contentType: 'text/plain' });
  await backend.put('c/other', chunks(v2), { maxBytes: MAX });
  await backend.close();

  // A crash between the renames of an overwrite: the new record (another inode, same size) beside the
  // old data file. The record must not be believed: the old data stays visible with its own hash.
  const fake = {
    key: 'c/latest',
    sizeBytes: v2.length,
    blake2b256: blake2b256(v2),
    contentType: 'text/plain',
    storedUnixMs: 5,
  };
  const inode = (await stat(path.join(root, 'objects/c/latest'), { bigint: true })).ino + 1n;
  await writeFile(path.join(root, 'meta/c/latest'), encodeMeta({ meta: fake, inode }));
  // A crash between the renames of a first put: a record without data.
  await writeFile(
    path.join(root, 'meta/c/orphan'),
    encodeMeta({ meta: { ...fake, key: 'c/orphan' }, inode }),
  );
  // A damaged record, a missing record, a data file whose size changed behind the record's back.
  await writeFile(path.join(root, 'meta/c/other'), '{"version":1,');
  await mkdir(path.join(root, 'objects/d'), { recursive: true });
  await writeFile(path.join(root, 'objects/d/bare'), v2);
  // Temp files of a crashed upload.
  await writeFile(path.join(root, 'tmp/crashed-upload'), v1);

  backend = await openBackend(root, { onRepair: (key, why) => repairs.push(`${key}: ${why}`) });
  assert.deepEqual(await filesUnder(path.join(root, 'tmp')), [], 'temp files swept');
  assert.deepEqual((await filesUnder(path.join(root, 'meta/c'))).sort(), ['latest', 'other'], 'orphan swept');
  const latest = await backend.head('c/latest');
  assert.deepEqual(latest?.blake2b256, blake2b256(v1));
  assert.equal(latest?.contentType, 'text/plain');
  assert.ok((await getBytes(backend, 'c/latest')).equals(v1));
  assert.deepEqual((await backend.head('c/other'))?.blake2b256, blake2b256(v2));
  assert.deepEqual((await backend.head('d/bare'))?.blake2b256, blake2b256(v2));
  assert.equal(await backend.head('c/orphan'), undefined);
  assert.deepEqual(repairs.sort(), [
    'c/latest: record of another file',
    'c/other: missing or damaged record',
    'd/bare: missing or damaged record',
  ]);
  // Repaired records are written back: no second repair.
  await backend.head('c/latest');
  await backend.list('');
  assert.equal(repairs.length, 3);
  // A data file truncated in place (never done by the backend): the size no longer matches, so it is
  // rehashed.
  await writeFile(path.join(root, 'objects/c/other'), v1.subarray(0, 100));
  assert.deepEqual((await backend.head('c/other'))?.blake2b256, blake2b256(v1.subarray(0, 100)));
  assert.equal(repairs.length, 4);
  await backend.close();

  // With a sweep age, a fresh temp file (another process's upload) is kept and an old one removed.
  await writeFile(path.join(root, 'tmp/fresh'), 'x');
  await writeFile(path.join(root, 'tmp/old'), 'x');
  const hourAgo = new Date(Date.now() - 3_600_000);
  await utimes(path.join(root, 'tmp/old'), hourAgo, hourAgo);
  await openBackend(root, { sweepOlderThanMs: 60_000 });
  assert.deepEqual(await filesUnder(path.join(root, 'tmp')), ['fresh']);
});

test('read-only (a peer’s bucket): no sweep, no writes, repairs in memory only', async () => {
  const root = await freshRoot();
  const owner = await openBackend(root);
  const data = randomBytes(3000);
  await owner.put('r/LATEST', chunks(data), { maxBytes: MAX });
  await writeFile(path.join(root, 'tmp/in-flight-upload'), 'x');
  await writeFile(path.join(root, 'meta/r/LATEST'), '{}');
  const repairs: string[] = [];
  const peer = await openBackend(root, { readOnly: true, onRepair: (key) => repairs.push(key) });
  assert.deepEqual(await filesUnder(path.join(root, 'tmp')), ['in-flight-upload'], 'nothing swept');
  assert.deepEqual((await peer.head('r/LATEST'))?.blake2b256, blake2b256(data));
  assert.ok((await getBytes(peer, 'r/LATEST')).equals(data));
  assert.deepEqual(
    (await peer.list('r/')).objects.map((o) => o.key),
    ['r/LATEST'],
  );
  assert.equal(repairs.length, 3, 'the stale record is rebuilt for each read');
  assert.equal(await readFile(path.join(root, 'meta/r/LATEST'), 'utf8'), '{}', 'and never written');
  await assert.rejects(peer.put('r/x', chunks(data), { maxBytes: MAX }), reason('PEER_DENIED'));
  await assert.rejects(peer.delete('r/LATEST'), reason('PEER_DENIED'));
  const missing = await openBackend(path.join(root, 'no-such-bucket'), { readOnly: true });
  assert.equal(await missing.head('r/LATEST'), undefined);
  assert.deepEqual((await missing.list('')).objects, []);
  await assert.rejects(stat(path.join(root, 'no-such-bucket')), 'nothing created');
});
