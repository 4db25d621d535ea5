import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeSs58 } from '@cohort/core';

import { aggregateContributors } from './aggregate-contributors.js';

/** A fixed header of kind `kind`, the contributor section, and some body bytes. */
function object(kind: number, contributors: [number, number][], declared = contributors.length): Uint8Array {
  const bytes = new Uint8Array(192 + 4 + contributors.length * 64 + 16);
  bytes.set([0x43, 0x48, 0x52, 0x54, kind, 1]);
  new DataView(bytes.buffer).setUint32(192, declared, true);
  contributors.forEach(([hotkey, digest], i) => {
    bytes.fill(hotkey, 196 + i * 64, 196 + i * 64 + 32);
    bytes.fill(digest, 196 + i * 64 + 32, 196 + (i + 1) * 64);
  });
  return bytes;
}

test('reads the contributors of an aggregate in order', () => {
  const out = aggregateContributors(
    object(0x41, [
      [1, 0xaa],
      [2, 0xbb],
    ]),
  );
  assert.deepEqual(
    out?.map((c) => [c.hotkey, Buffer.from(c.payloadBlake2b256).toString('hex')]),
    [
      [encodeSs58(new Uint8Array(32).fill(1)), 'aa'.repeat(32)],
      [encodeSs58(new Uint8Array(32).fill(2)), 'bb'.repeat(32)],
    ],
  );
});

test('refuses an update, an empty list and a count past the end', () => {
  assert.equal(aggregateContributors(object(0x55, [[1, 1]])), undefined);
  assert.equal(aggregateContributors(object(0x41, [])), undefined);
  assert.equal(aggregateContributors(object(0x41, [[1, 1]], 1000)), undefined);
  assert.equal(aggregateContributors(new Uint8Array(10)), undefined);
});
