/**
 * The bucket's usage: measured over every page of a listing, objects without our metadata included;
 * declared sizes held up front, undeclared uploads held as they grow, everything given back once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { StoreError } from './backends/backend.js';
import type { ListPage, ObjectBackend, ObjectMeta } from './backends/backend.js';
import { BucketUsage } from './bucket-usage.js';

const meta = (key: string, sizeBytes: number): ObjectMeta => ({
  key,
  sizeBytes,
  blake2b256: new Uint8Array(32),
  contentType: 'application/octet-stream',
  storedUnixMs: 1,
});

/** A backend whose listing is `pages` (only `list` is used). */
function listing(pages: readonly ListPage[]): ObjectBackend {
  return {
    list: (_prefix: string, token?: string) =>
      Promise.resolve(pages[token === undefined ? 0 : Number(token)]),
  } as unknown as ObjectBackend;
}

const full = (error: unknown): boolean => error instanceof StoreError && error.reason === 'BUCKET_FULL';

test('measure counts every page, objects copied in by another tool too', async () => {
  const backend = listing([
    {
      objects: [meta('a', 100), meta('b', 20)],
      foreign: [{ key: 'copied', sizeBytes: 300 }],
      nextPageToken: '1',
    },
    { objects: [meta('c', 5)] },
  ]);
  assert.equal((await BucketUsage.measure(backend, 1000)).used, 425);
  const unlimited = await BucketUsage.measure(listing([]), 0);
  assert.deepEqual([unlimited.limited, unlimited.used], [false, 0], 'no limit: no listing');
  assert.equal(unlimited.reserve(1e12).bytes, 1e12);
});

test('reservations: declared up front, undeclared as it grows, released once', async () => {
  const usage = await BucketUsage.measure(listing([{ objects: [meta('a', 400)] }]), 1000);
  assert.equal(usage.available, 600);
  assert.throws(() => usage.reserve(601), full);
  const declared = usage.reserve(500);
  assert.equal(usage.available, 100);
  const growing = usage.reserveAsReceived();
  assert.equal(growing.bytes, 0, 'an undeclared upload holds nothing before its bytes arrive');
  growing.growTo(60);
  growing.growTo(30); // never shrinks
  assert.deepEqual([growing.bytes, usage.available], [60, 40]);
  assert.throws(() => growing.growTo(101), full);
  assert.deepEqual([growing.bytes, usage.available], [60, 40], 'a refused growth keeps what it held');
  growing.growTo(100);
  assert.equal(usage.available, 0);
  declared.release();
  declared.release();
  assert.equal(usage.available, 500, 'released once');
  growing.release();
  usage.stored(100);
  assert.deepEqual([usage.used, usage.available], [500, 500]);
  usage.deleted(600);
  assert.equal(usage.used, 0, 'never below zero');
});
