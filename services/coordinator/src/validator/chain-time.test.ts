/**
 * Chain timestamps onto the validator's clock: the fastest delivery of the recent blocks sets the offset,
 * a late block does not; a chain clock that does not keep pace (chopsticks' 12 s per block) is not used.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ChainTimeMap } from './chain-time.js';

const GENESIS = 1_700_000_000_000;

/** `count` blocks from `from`, made every `blockMs` of wall time, stamped `stampMs` apart on chain. */
function blocks(
  map: ChainTimeMap,
  o: { from?: number; count: number; blockMs: number; stampMs: number; delay: (n: number) => number },
): void {
  const from = o.from ?? 0;
  for (let n = from; n < from + o.count; n++) {
    map.observe({
      number: n,
      chainMs: GENESIS + n * o.stampMs,
      localMs: 5_000_000 + n * o.blockMs + o.delay(n),
    });
  }
}

test('a real-time chain: the offset is the skew plus the fastest delivery, whatever one late block did', () => {
  const map = new ChainTimeMap();
  // Local clock = chain clock + (5_000_000 − GENESIS); deliveries take 300–700 ms, block 20 took 9 s.
  blocks(map, {
    count: 24,
    blockMs: 12_000,
    stampMs: 12_000,
    delay: (n) => (n === 20 ? 9000 : 300 + ((n * 137) % 400)),
  });
  const skew = 5_000_000 - GENESIS;
  assert.equal(map.offsetMs(), skew + 300);
  // Block 20's start maps to when it would have arrived on time, not when it did.
  assert.equal(map.toLocal(GENESIS + 20 * 12_000), 5_000_000 + 20 * 12_000 + 300);
});

test('too few blocks: no offset yet', () => {
  const map = new ChainTimeMap({ minSamples: 8 });
  blocks(map, { count: 7, blockMs: 12_000, stampMs: 12_000, delay: () => 100 });
  assert.equal(map.toLocal(GENESIS), undefined);
  blocks(map, { from: 7, count: 1, blockMs: 12_000, stampMs: 12_000, delay: () => 100 });
  assert.notEqual(map.toLocal(GENESIS), undefined);
});

test('a dev chain stamping 12 s per block on 1 s blocks (or 60 s ones) is not a clock to time by', () => {
  for (const blockMs of [1000, 60_000]) {
    const map = new ChainTimeMap();
    blocks(map, { count: 32, blockMs, stampMs: 12_000, delay: () => 50 });
    assert.equal(map.offsetMs(), undefined, `blocks every ${blockMs} ms`);
  }
});

test('a chain that goes back starts the history over', () => {
  const map = new ChainTimeMap({ minSamples: 4 });
  blocks(map, { count: 10, blockMs: 12_000, stampMs: 12_000, delay: () => 100 });
  assert.notEqual(map.offsetMs(), undefined);
  // A restarted chain: block numbers and timestamps from the start again, another offset altogether.
  blocks(map, { count: 3, blockMs: 12_000, stampMs: 12_000, delay: () => 7_000_000 });
  assert.equal(map.offsetMs(), undefined, 'three blocks of the new chain are too few');
  blocks(map, { from: 3, count: 1, blockMs: 12_000, stampMs: 12_000, delay: () => 7_000_000 });
  assert.equal(map.offsetMs(), 5_000_000 - GENESIS + 7_000_000);
});
