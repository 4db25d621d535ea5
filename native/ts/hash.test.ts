import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError, blake2b256 } from '@cohort/core';

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { blake2b256Async, blake2b256File } from './hash.js';

test('blake2b256Async equals the TS blake2b256 (RFC 7693 vector, block edges, a Buffer view)', async () => {
  // RFC 7693 appendix A is BLAKE2b-512 of "abc"; the 256-bit digest of "abc" is the published
  // bd dd 81 3c ... (BLAKE2b-256 test vectors).
  assert.equal(
    Buffer.from(await blake2b256Async(new TextEncoder().encode('abc'))).toString('hex'),
    'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319',
  );
  for (const n of [0, 1, 127, 128, 129, 256, 1000, 65_537]) {
    const data = Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff);
    assert.deepEqual(await blake2b256Async(data), blake2b256(data), `n=${n}`);
  }
  const backing = Buffer.alloc(300, 9);
  const view = backing.subarray(17, 250);
  assert.deepEqual(await blake2b256Async(view), blake2b256(view), 'an offset view hashes its own bytes');
});

test('blake2b256Async keeps the event loop free while hashing 64 MiB', async () => {
  const data = new Uint8Array(64 << 20).fill(3);
  let ticks = 0;
  const timer = setInterval(() => (ticks += 1), 1);
  const digest = await blake2b256Async(data);
  clearInterval(timer);
  assert.deepEqual(digest, blake2b256(data));
  assert.ok(ticks > 0, 'timers ran while the pool thread hashed');
});

test('blake2b256Async refuses anything but a Uint8Array', async () => {
  for (const bad of ['abc', new Float32Array(4), null, [1, 2]])
    await assert.rejects(
      blake2b256Async(bad as unknown as Uint8Array),
      (e) => e instanceof InvalidArgumentError && e.reason === 'NOT_UINT8ARRAY',
    );
});

test('blake2b256File hashes a file, or its first bytes, in chunks; a missing or short file is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-hash-'));
  try {
    // Over one 4 MiB read chunk, and not a multiple of it.
    const data = Uint8Array.from({ length: (9 << 20) + 123 }, (_, i) => (i * 31 + (i >> 11)) & 0xff);
    const path = join(dir, 'object.bin');
    writeFileSync(path, data);
    assert.deepEqual(await blake2b256File(path), blake2b256(data));
    assert.deepEqual(await blake2b256File(path, 1000), blake2b256(data.subarray(0, 1000)));
    assert.deepEqual(await blake2b256File(path, 0), blake2b256(new Uint8Array(0)));
    await assert.rejects(
      blake2b256File(path, data.length + 1),
      (e) => e instanceof InvalidArgumentError && /at least/.test(e.message),
    );
    await assert.rejects(blake2b256File(join(dir, 'absent.bin')), InvalidArgumentError);
    await assert.rejects(blake2b256File(dir), InvalidArgumentError, 'a directory is not a file');
    await assert.rejects(
      blake2b256File(path, -1),
      (e) => e instanceof InvalidArgumentError && e.reason === 'BAD_LENGTH',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
