import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ByteCollector } from './byte-collector.js';

test('chunks concatenate in order, and a single chunk comes back as is', () => {
  const c = new ByteCollector(10);
  assert.equal(c.add(Uint8Array.of(1, 2)), true);
  assert.equal(c.add(new Uint8Array(0)), true);
  assert.equal(c.add(Uint8Array.of(3)), true);
  assert.deepEqual([...c.bytes()], [1, 2, 3]);
  const one = Uint8Array.of(9);
  const single = new ByteCollector(10);
  single.add(one);
  assert.equal(single.bytes(), one);
});

test('past the cap it refuses, keeps counting and drops what it held', () => {
  const c = new ByteCollector(4);
  assert.equal(c.add(new Uint8Array(4)), true);
  assert.equal(c.overflowed, false);
  assert.equal(c.add(new Uint8Array(1)), false);
  assert.equal(c.add(new Uint8Array(3)), false);
  assert.equal(c.received, 8);
  assert.equal(c.overflowed, true);
  assert.throws(() => c.bytes());
});
