import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PayloadCache } from './payload-cache.js';

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

test('least recently used objects leave first, and the byte budget always holds', () => {
  const cache = new PayloadCache(100);
  cache.set('a', bytes(40, 1));
  cache.set('b', bytes(40, 2));
  assert.equal(cache.get('a')?.[0], 1); // a is now the most recent
  cache.set('c', bytes(40, 3)); // evicts b, not a
  assert.equal(cache.get('b'), undefined);
  assert.equal(cache.get('a')?.[0], 1);
  assert.equal(cache.get('c')?.[0], 3);
  assert.equal(cache.bytes, 80);
  cache.set('a', bytes(10, 4)); // replacing an entry frees its old bytes
  assert.equal(cache.bytes, 50);
  assert.equal(cache.get('a')?.[0], 4);
  cache.set('big', bytes(101, 5)); // larger than the budget: never kept, evicts nothing
  assert.equal(cache.get('big'), undefined);
  assert.equal(cache.size, 2);
  cache.set('d', bytes(100, 6)); // exactly the budget: everything else goes
  assert.deepEqual([cache.size, cache.bytes], [1, 100]);
});

test('a zero budget keeps nothing; a bad budget is refused', () => {
  const off = new PayloadCache(0);
  off.set('a', bytes(1, 1));
  assert.equal(off.get('a'), undefined);
  assert.throws(() => new PayloadCache(-1), RangeError);
  assert.throws(() => new PayloadCache(1.5), RangeError);
});

test("the same key in the run's store and in a miner's bucket are different objects", () => {
  const run = PayloadCache.keyOf('updates/1/x', undefined);
  const peer = PayloadCache.keyOf('updates/1/x', { endpoint: 'https://s3.example', bucket: 'm' } as never);
  const other = PayloadCache.keyOf('updates/1/x', { endpoint: 'https://s3.example', bucket: 'n' } as never);
  assert.equal(PayloadCache.keyOf('updates/1/x', { endpoint: '', bucket: '' } as never), run);
  assert.equal(new Set([run, peer, other]).size, 3);
});
