/** S3 backend options: checks with the field named, defaults, and part sizes that fit 10,000 parts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_PART_BYTES, partSizeFor, resolveS3Options } from './s3-options.js';
import type { S3BackendOptions } from './s3-options.js';

const base: S3BackendOptions = {
  endpoint: 'http://127.0.0.1:7480',
  bucket: 'cohort-op',
  region: 'us-east-1',
  pathStyle: true,
  accessKeyId: 'a',
  secretAccessKey: 'b',
  requestTimeoutMs: 1000,
  createBucketIfMissing: false,
};

test('defaults are filled in and the endpoint parsed', () => {
  const resolved = resolveS3Options(base);
  assert.equal(resolved.endpoint.port, '7480');
  assert.equal(resolved.partSizeBytes, DEFAULT_PART_BYTES);
  assert.equal(resolved.maxCopyBytes, 5 * 1024 ** 3);
  assert.equal(resolved.listConcurrency, 16);
});

test('bad options are refused, naming the field', () => {
  const bad: [Partial<S3BackendOptions>, RegExp][] = [
    [{ endpoint: 'ftp://host' }, /S3 endpoint/],
    [{ endpoint: 'http://host/path' }, /S3 endpoint/],
    [{ endpoint: 'not a url' }, /S3 endpoint/],
    [{ bucket: 'No_Caps' }, /bucket/],
    [{ requestTimeoutMs: 0 }, /requestTimeoutMs/],
    [{ partSizeBytes: 1024 }, /partSizeBytes/],
    [{ maxCopyBytes: 6 * 1024 ** 3 }, /maxCopyBytes/],
  ];
  for (const [override, message] of bad) {
    assert.throws(() => resolveS3Options({ ...base, ...override }), message, JSON.stringify(override));
  }
});

test('the part size grows so the largest object fits in 10,000 parts', () => {
  const MiB = 1024 * 1024;
  assert.equal(partSizeFor(16 * MiB, 64 * MiB), 16 * MiB);
  assert.equal(partSizeFor(16 * MiB, 64 * 1024 * MiB), 16 * MiB); // 4,096 parts
  const huge = partSizeFor(16 * MiB, 1024 ** 4); // 1 TiB
  assert.ok(huge % MiB === 0 && Math.ceil(1024 ** 4 / huge) <= 10_000, String(huge));
});
