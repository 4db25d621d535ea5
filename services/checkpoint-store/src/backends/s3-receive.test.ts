/** How the S3 backend reads an upload: exact parts, a whole tail for small objects, early refusals. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blake2b256 } from '@cohort/core';
import { receiveParts } from './s3-receive.js';

const PART = 1000;

async function* chunks(data: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let offset = 0;
  for (let i = 0; offset < data.length; i++) {
    await Promise.resolve();
    const size = sizes[i % sizes.length] ?? 1;
    yield data.subarray(offset, offset + size);
    offset += size;
  }
}

const data = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

async function receive(
  n: number,
  sizes: number[],
): Promise<{ parts: Buffer[]; tail: Buffer; hash: Uint8Array }> {
  const parts: Buffer[] = [];
  const got = await receiveParts(chunks(data(n), sizes), { partSize: PART, maxBytes: 1e9 }, (part) => {
    parts.push(Buffer.from(part));
    return Promise.resolve();
  });
  assert.equal(got.sizeBytes, n);
  return { parts, tail: got.tail, hash: got.blake2b256 };
}

test('parts are exactly partSize, handed out only when more bytes follow; the rest is the tail', async () => {
  for (const [n, sizes] of [
    [0, [7]],
    [999, [7]],
    [1000, [1000]],
    [1001, [333, 1, 4096]],
    [3000, [1000]],
    [3500, [64, 7, 2500]],
  ] as [number, number[]][]) {
    const { parts, tail, hash } = await receive(n, sizes);
    assert.ok(parts.every((part) => part.length === PART));
    assert.equal(parts.length, Math.max(0, Math.ceil(n / PART) - 1), `n=${n}`);
    assert.deepEqual(Buffer.concat([...parts, tail]), Buffer.from(data(n)));
    assert.deepEqual(hash, blake2b256(data(n)));
  }
});

test('without a part sink the stream is only hashed and counted', async () => {
  const got = await receiveParts(chunks(data(5000), [300]), { partSize: PART, maxBytes: 1e9 }, undefined);
  assert.equal(got.sizeBytes, 5000);
  assert.equal(got.tail.length, 0);
  assert.deepEqual(got.blake2b256, blake2b256(data(5000)));
});

test('TOO_LARGE and SIZE_MISMATCH as soon as a limit is passed, SIZE_MISMATCH for a short stream', async () => {
  const reason = async (options: { maxBytes: number; expectedSize?: number }, n = 5000): Promise<unknown> => {
    try {
      await receiveParts(chunks(data(n), [100]), { partSize: PART, ...options }, undefined);
    } catch (error) {
      return (error as { reason?: unknown }).reason;
    }
    return 'resolved';
  };
  assert.equal(await reason({ maxBytes: 4999 }), 'TOO_LARGE');
  assert.equal(await reason({ maxBytes: 1e9, expectedSize: 4999 }), 'SIZE_MISMATCH');
  assert.equal(await reason({ maxBytes: 1e9, expectedSize: 5001 }), 'SIZE_MISMATCH');
  assert.equal(await reason({ maxBytes: 5000, expectedSize: 5000 }), 'resolved');
});
