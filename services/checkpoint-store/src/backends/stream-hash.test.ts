/** The WebAssembly hasher gives @cohort/core's BLAKE2b-256 digests, whatever the chunking. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blake2b256 } from '@cohort/core';

import { createStreamHasher } from './stream-hash.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('digests equal the core implementation on vectors and random splits', async () => {
  const abc = await createStreamHasher();
  abc.update(new TextEncoder().encode('abc'));
  assert.equal(hex(abc.digest()), 'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319');
  let x = 12345;
  const next = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x;
  };
  for (const size of [0, 1, 127, 128, 129, 1000, 65_536, 1_000_003]) {
    const data = Uint8Array.from({ length: size }, () => next() >>> 24);
    const h = await createStreamHasher();
    for (let at = 0; at < size;) {
      const step = 1 + (next() % 70_000);
      h.update(data.subarray(at, at + step));
      at += step;
    }
    assert.equal(hex(h.digest()), hex(blake2b256(data)), `size ${size}`);
  }
  const once = await createStreamHasher();
  once.digest();
  assert.throws(() => once.digest());
  assert.throws(() => once.update(new Uint8Array(1)));
});
