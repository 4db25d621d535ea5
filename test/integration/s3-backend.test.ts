/**
 * The checkpoint-store's S3 backend against a real S3 server (Ceph RADOS Gateway, started by the
 * harness): single-part and multipart objects with their BLAKE2b-256 in metadata, ranges, paged
 * listings (objects without our metadata left out of them), presigned URLs, idempotent and refused
 * puts that leave nothing visible, and credentials the server refuses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { blake2b256 } from '@cohort/core';
import { createS3Backend } from '@cohort/checkpoint-store/s3-backend';
import type { S3Backend, S3BackendOptions } from '@cohort/checkpoint-store/s3-backend';
import { Client } from 'minio';
import { startS3Server } from '../harness/index.js';
import type { S3Server } from '../harness/index.js';

const MiB = 1024 * 1024;

/** Deterministic bytes (xorshift32 from `seed`). */
function bytes(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

async function* chunks(data: Uint8Array, size = 256 * 1024): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += size) {
    await Promise.resolve();
    yield data.subarray(offset, offset + size);
  }
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of body) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Assert that `promise` rejects with a StoreError of `reason`. */
async function rejectsWith(promise: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal((error as { reason?: unknown }).reason, reason, String(error));
    return true;
  });
}

describe('S3 backend on RADOS Gateway', () => {
  let server: S3Server;
  let backend: S3Backend;
  let raw: Client;
  const bucket = 'cohort-test';
  const options = (overrides: Partial<S3BackendOptions> = {}): S3BackendOptions => ({
    endpoint: server.endpoint,
    bucket,
    region: server.region,
    pathStyle: true,
    accessKeyId: server.accessKey,
    secretAccessKey: server.secretKey,
    requestTimeoutMs: 10_000,
    createBucketIfMissing: false,
    partSizeBytes: 5 * MiB,
    ...overrides,
  });

  /** Keys under the reserved temp prefix and unfinished multipart uploads: both must stay empty. */
  async function leftovers(): Promise<{ tmp: string[]; uploads: string[] }> {
    const tmp = await raw.listObjectsV2Query(bucket, '.cohort-tmp/', '', '', 1000, '');
    const uploads: string[] = [];
    const pending = raw.listIncompleteUploads(bucket, '', true) as AsyncIterable<{ key: string }>;
    for await (const upload of pending) uploads.push(upload.key);
    return { tmp: tmp.objects.map((item) => item.name ?? ''), uploads };
  }

  before(async () => {
    server = await startS3Server();
    backend = await createS3Backend(options({ createBucketIfMissing: true }));
    const endpoint = new URL(server.endpoint);
    raw = new Client({
      endPoint: endpoint.hostname,
      port: Number(endpoint.port),
      useSSL: false,
      pathStyle: true,
      region: server.region,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
    });
  });
  after(async () => {
    await backend?.close();
    await server?.stop();
  });

  test('creating the bucket again is a no-op', async () => {
    const again = await createS3Backend(options({ createBucketIfMissing: true }));
    await again.close();
    assert.ok(await raw.bucketExists(bucket));
  });

  test('a small object is one PUT: hash and content type stored, reported by head and get', async () => {
    const data = bytes(3000, 1);
    const { meta, created } = await backend.put('runs/a/small', chunks(data, 700), {
      maxBytes: MiB,
      contentType: 'application/json',
    });
    assert.equal(created, true);
    assert.deepEqual(meta.blake2b256, blake2b256(data));
    assert.equal(meta.sizeBytes, data.length);
    const head = await backend.head('runs/a/small');
    assert.deepEqual(head, meta);
    const got = await backend.get('runs/a/small');
    assert.deepEqual(got.meta, meta);
    assert.deepEqual(await collect(got.body), data);
    assert.equal(
      (await raw.statObject(bucket, 'runs/a/small')).metaData['blake2b256'],
      Buffer.from(meta.blake2b256).toString('hex'),
    );
  });

  test('an empty object', async () => {
    const { meta } = await backend.put('runs/a/empty', chunks(new Uint8Array(0)), { maxBytes: 10 });
    assert.equal(meta.sizeBytes, 0);
    assert.deepEqual(meta.blake2b256, blake2b256(new Uint8Array(0)));
    const got = await backend.get('runs/a/empty');
    assert.equal((await collect(got.body)).length, 0);
  });

  test('20 MiB in 5 MiB parts, hash unknown: temp upload, copy with metadata, nothing left behind', async () => {
    const data = bytes(20 * MiB + 123, 2);
    const { meta, created } = await backend.put('runs/a/big', chunks(data), { maxBytes: 64 * MiB });
    assert.equal(created, true);
    assert.deepEqual(meta.blake2b256, blake2b256(data));
    assert.deepEqual(await backend.head('runs/a/big'), meta);
    const got = await backend.get('runs/a/big');
    assert.deepEqual(await collect(got.body), data);
    assert.deepEqual(await leftovers(), { tmp: [], uploads: [] });
  });

  test('hash and size known: the multipart upload goes straight to the key', async () => {
    const data = bytes(12 * MiB, 3);
    const hash = blake2b256(data);
    const { meta } = await backend.put('runs/a/direct', chunks(data), {
      maxBytes: 64 * MiB,
      expectedSize: data.length,
      expectedBlake2b256: hash,
    });
    assert.deepEqual(meta.blake2b256, hash);
    assert.deepEqual((await backend.head('runs/a/direct'))?.blake2b256, hash);
    assert.deepEqual(await collect((await backend.get('runs/a/direct')).body), data);
    assert.deepEqual(await leftovers(), { tmp: [], uploads: [] });
  });

  test('a copy larger than maxCopyBytes goes part by part (UploadPartCopy)', async () => {
    const small = await createS3Backend(options({ maxCopyBytes: 8 * MiB }));
    try {
      const data = bytes(20 * MiB + 5, 4);
      const { meta } = await small.put('runs/a/copied', chunks(data), { maxBytes: 64 * MiB });
      assert.deepEqual(meta.blake2b256, blake2b256(data));
      assert.deepEqual(await collect((await small.get('runs/a/copied')).body), data);
      assert.deepEqual(await leftovers(), { tmp: [], uploads: [] });
    } finally {
      await small.close();
    }
  });

  test('ranges: first bytes, middle, across parts, to the end, empty at the end; outside is BAD_RANGE', async () => {
    const data = bytes(20 * MiB + 123, 2); // runs/a/big
    const read = async (offset: number, length?: number): Promise<Buffer> => {
      const got = await backend.get('runs/a/big', { offset, length });
      assert.equal(got.meta.sizeBytes, data.length);
      return collect(got.body);
    };
    assert.deepEqual(await read(0, 10), data.subarray(0, 10));
    assert.deepEqual(await read(1000, 5000), data.subarray(1000, 6000));
    assert.deepEqual(await read(5 * MiB - 7, 100), data.subarray(5 * MiB - 7, 5 * MiB + 93));
    assert.deepEqual(await read(20 * MiB, 0), data.subarray(20 * MiB));
    assert.equal((await read(data.length)).length, 0);
    await rejectsWith(backend.get('runs/a/big', { offset: data.length + 1 }), 'BAD_RANGE');
    await rejectsWith(backend.get('runs/a/big', { offset: data.length - 10, length: 11 }), 'BAD_RANGE');
    await rejectsWith(backend.get('runs/a/big', { offset: 0, length: data.length + 1 }), 'BAD_RANGE');
    await rejectsWith(backend.get('runs/a/big', { offset: -1 }), 'BAD_RANGE');
    await rejectsWith(backend.get('runs/a/empty', { offset: 0, length: 1 }), 'BAD_RANGE');
  });

  test('listing in pages, keys ascending with their metadata, other prefixes and temp keys hidden', async () => {
    const keys = Array.from({ length: 7 }, (_, i) => `runs/list/w/${String(i).padStart(2, '0')}`);
    for (const [i, key] of keys.entries())
      await backend.put(key, chunks(bytes(100 + i, 10 + i)), { maxBytes: MiB });
    await backend.put('runs/list/x', chunks(bytes(5, 5)), { maxBytes: MiB });
    await raw.putObject(bucket, '.cohort-tmp/stray', Buffer.from('x'));
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await backend.list('runs/list/w/', token, 3);
      pages++;
      assert.ok(page.objects.length <= 3);
      for (const meta of page.objects) {
        const i = keys.indexOf(meta.key);
        assert.deepEqual(meta.blake2b256, blake2b256(bytes(100 + i, 10 + i)));
        seen.push(meta.key);
      }
      token = page.nextPageToken;
    } while (token !== undefined);
    assert.deepEqual(seen, keys);
    assert.equal(pages, 3);
    const all = await backend.list('');
    assert.ok(all.objects.every((meta) => !meta.key.startsWith('.cohort-tmp/')));
    assert.ok(all.objects.some((meta) => meta.key === 'runs/list/x'));
    await raw.removeObject(bucket, '.cohort-tmp/stray');
    await rejectsWith(backend.list('../x'), 'BAD_KEY');
  });

  test('an object copied in without our metadata is left out of listings, named in foreign, reported once', async () => {
    const reported: [string, number][] = [];
    const own = await createS3Backend(options({ onForeign: (key, size) => reported.push([key, size]) }));
    try {
      await own.put('runs/foreign/a', chunks(bytes(10, 1)), { maxBytes: MiB });
      await raw.putObject(bucket, 'runs/foreign/b', Buffer.alloc(1234, 7)); // as `aws s3 cp` or `mc cp` would
      await own.put('runs/foreign/c', chunks(bytes(20, 2)), { maxBytes: MiB });
      for (let pass = 0; pass < 2; pass++) {
        const page = await own.list('runs/foreign/');
        assert.deepEqual(
          page.objects.map((meta) => meta.key),
          ['runs/foreign/a', 'runs/foreign/c'],
        );
        assert.deepEqual(page.foreign, [{ key: 'runs/foreign/b', sizeBytes: 1234 }]);
      }
      assert.deepEqual(reported, [['runs/foreign/b', 1234]], 'reported once, not at every listing');
      // A page of our objects only names no foreign ones; the object itself is still refused by head.
      assert.equal((await own.list('runs/foreign/a')).foreign, undefined);
      await rejectsWith(own.head('runs/foreign/b'), 'PEER_BAD_REPLY');
    } finally {
      for (const key of ['runs/foreign/a', 'runs/foreign/b', 'runs/foreign/c'])
        await raw.removeObject(bucket, key);
      await own.close();
    }
  });

  test('a presigned GET URL works with plain fetch, no credentials', async () => {
    const url = await backend.presignedGetUrl('runs/a/small', 60);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes(3000, 1));
    assert.equal((await fetch(url.replace(/X-Amz-Signature=[0-9a-f]+/, 'X-Amz-Signature=00'))).status, 403);
  });

  test('idempotent put, OBJECT_EXISTS, overwrite', async () => {
    const one = bytes(2000, 20);
    const two = bytes(2000, 21);
    assert.equal((await backend.put('runs/a/once', chunks(one), { maxBytes: MiB })).created, true);
    const again = await backend.put('runs/a/once', chunks(one), { maxBytes: MiB });
    assert.equal(again.created, false);
    assert.deepEqual(again.meta.blake2b256, blake2b256(one));
    await rejectsWith(backend.put('runs/a/once', chunks(two), { maxBytes: MiB }), 'OBJECT_EXISTS');
    await rejectsWith(
      backend.put('runs/a/once', chunks(two), { maxBytes: MiB, expectedBlake2b256: blake2b256(two) }),
      'OBJECT_EXISTS',
    );
    const replaced = await backend.put('runs/a/once', chunks(two), { maxBytes: MiB, overwrite: true });
    assert.equal(replaced.created, true);
    assert.deepEqual(await collect((await backend.get('runs/a/once')).body), two);
    const same = await backend.put('runs/a/once', chunks(two), { maxBytes: MiB, overwrite: true });
    assert.equal(same.created, false);
  });

  test('size or hash mismatch leaves nothing visible, single-part and multipart', async () => {
    const small = bytes(5000, 30);
    const big = bytes(11 * MiB, 31);
    const cases: [string, Buffer, Parameters<S3Backend['put']>[2], string][] = [
      ['runs/m/short', small, { maxBytes: MiB, expectedSize: small.length + 1 }, 'SIZE_MISMATCH'],
      ['runs/m/long', small, { maxBytes: MiB, expectedSize: small.length - 1 }, 'SIZE_MISMATCH'],
      ['runs/m/hash', small, { maxBytes: MiB, expectedBlake2b256: blake2b256(big) }, 'HASH_MISMATCH'],
      [
        'runs/m/big-hash',
        big,
        { maxBytes: 64 * MiB, expectedSize: big.length, expectedBlake2b256: blake2b256(small) },
        'HASH_MISMATCH',
      ],
      ['runs/m/big-size', big, { maxBytes: 64 * MiB, expectedSize: big.length + 1 }, 'SIZE_MISMATCH'],
    ];
    for (const [key, data, putOptions, reason] of cases) {
      await rejectsWith(backend.put(key, chunks(data), putOptions), reason);
      assert.equal(await backend.head(key), undefined, key);
    }
    assert.deepEqual(await leftovers(), { tmp: [], uploads: [] });
  });

  test('TOO_LARGE as soon as the cap is passed (an endless stream), or up front from expectedSize', async () => {
    let produced = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        await Promise.resolve();
        produced += MiB;
        yield bytes(MiB, 40);
      }
    }
    await rejectsWith(backend.put('runs/a/huge', endless(), { maxBytes: 12 * MiB }), 'TOO_LARGE');
    assert.ok(produced <= 13 * MiB, `read ${produced} bytes`);
    assert.equal(await backend.head('runs/a/huge'), undefined);
    await rejectsWith(
      backend.put('runs/a/huge', chunks(bytes(10, 1)), { maxBytes: 5, expectedSize: 10 }),
      'TOO_LARGE',
    );
    assert.deepEqual(await leftovers(), { tmp: [], uploads: [] });
  });

  test('an abort mid-upload (a stalled source) is ABORTED and leaves nothing', async () => {
    const controller = new AbortController();
    async function* stalls(): AsyncGenerator<Uint8Array> {
      yield bytes(6 * MiB, 50);
      setTimeout(() => controller.abort(), 50);
      await new Promise(() => undefined);
    }
    await rejectsWith(
      backend.put('runs/a/aborted', stalls(), { maxBytes: 64 * MiB, signal: controller.signal }),
      'ABORTED',
    );
    assert.equal(await backend.head('runs/a/aborted'), undefined);
    assert.deepEqual(await leftovers(), { tmp: [], uploads: [] });
  });

  test('NOT_FOUND, head of a missing key, delete', async () => {
    await rejectsWith(backend.get('runs/a/missing'), 'NOT_FOUND');
    assert.equal(await backend.head('runs/a/missing'), undefined);
    assert.equal(await backend.delete('runs/a/missing'), false);
    await backend.put('runs/a/doomed', chunks(bytes(10, 60)), { maxBytes: MiB });
    assert.equal(await backend.delete('runs/a/doomed'), true);
    assert.equal(await backend.head('runs/a/doomed'), undefined);
    await rejectsWith(backend.get('runs/a/doomed'), 'NOT_FOUND');
  });

  test('reserved and invalid keys are BAD_KEY', async () => {
    await rejectsWith(backend.head('.cohort-tmp/x'), 'BAD_KEY');
    await rejectsWith(backend.put('a//b', chunks(bytes(1, 1)), { maxBytes: 10 }), 'BAD_KEY');
  });

  test('credentials the server refuses are PEER_DENIED', async () => {
    const denied = await createS3Backend(options({ secretAccessKey: 'wrong-secret' }));
    const stranger = await createS3Backend(options({ accessKeyId: 'NOSUCHUSER', secretAccessKey: 'x' }));
    try {
      await rejectsWith(denied.list('runs/'), 'PEER_DENIED');
      await rejectsWith(denied.get('runs/a/small'), 'PEER_DENIED');
      await rejectsWith(stranger.put('runs/a/x', chunks(bytes(1, 1)), { maxBytes: 10 }), 'PEER_DENIED');
    } finally {
      await denied.close();
      await stranger.close();
    }
  });

  test('a closed backend refuses calls', async () => {
    const closing = await createS3Backend(options());
    await closing.close();
    await rejectsWith(closing.head('runs/a/small'), 'BACKEND_ERROR');
  });
});
