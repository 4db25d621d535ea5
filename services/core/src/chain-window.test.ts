import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChainClock, windowFirstBlock, windowOfBlock } from './chain-window.js';
import type { HeadInput } from './chain-window.js';
import { InvalidArgumentError } from './errors.js';

const reason = (expected: string) => (error: unknown) =>
  error instanceof InvalidArgumentError && error.reason === expected;

/** Head `number` on fork `fork` (the fork changes the hash, as a reorg would). */
function head(number: number, fork = 0): HeadInput {
  const hash = new Uint8Array(32);
  new DataView(hash.buffer).setUint32(0, number);
  hash[31] = fork;
  return { number, hash, timestampMs: 1_700_000_000_000 + number * 12_000 };
}

test('window arithmetic', () => {
  assert.equal(windowOfBlock(0, 10), 0);
  assert.equal(windowOfBlock(9, 10), 0);
  assert.equal(windowOfBlock(10, 10), 1);
  assert.equal(windowOfBlock(12345, 1), 12345);
  assert.equal(windowFirstBlock(0, 10), 0);
  assert.equal(windowFirstBlock(7, 10), 70);
  for (let block = 0; block < 200; block++) {
    const w = windowOfBlock(block, 7);
    assert.ok(windowFirstBlock(w, 7) <= block && block < windowFirstBlock(w + 1, 7));
  }
  assert.throws(() => windowOfBlock(-1, 10), reason('BAD_BLOCK'));
  assert.throws(() => windowOfBlock(1.5, 10), reason('BAD_BLOCK'));
  assert.throws(() => windowOfBlock(2 ** 53, 10), reason('BAD_BLOCK'));
  assert.throws(() => windowOfBlock(1, 0), reason('BAD_BLOCKS_PER_WINDOW'));
  assert.throws(() => windowOfBlock(1, Number.NaN), reason('BAD_BLOCKS_PER_WINDOW'));
  assert.throws(() => windowFirstBlock(-1, 10), reason('BAD_WINDOW'));
  assert.throws(() => windowFirstBlock(2 ** 52, 4), reason('BAD_WINDOW'));
  assert.throws(() => windowFirstBlock(1, 0.5), reason('BAD_BLOCKS_PER_WINDOW'));
});

test('observe: new blocks, window changes, repeats and late heads', () => {
  const clock = new ChainClock({ blocksPerWindow: 10, staleAfterMs: 30_000 });
  const first = clock.observe(head(25), 1000);
  assert.deepEqual(
    { ...first, head: undefined },
    {
      head: undefined,
      newBlock: true,
      reorg: false,
      windowChanged: true,
      window: 2,
      previousWindow: undefined,
      firstBlockOfWindow: 20,
    },
  );
  assert.equal(first.head.number, 25);
  assert.equal(first.head.receivedMs, 1000);

  const next = clock.observe(head(26), 2000);
  assert.equal(next.newBlock, true);
  assert.equal(next.windowChanged, false);
  assert.equal(next.previousWindow, 2);

  // A gap across a window boundary.
  const jump = clock.observe(head(31), 3000);
  assert.deepEqual([jump.newBlock, jump.windowChanged, jump.window, jump.previousWindow], [true, true, 3, 2]);
  assert.equal(jump.firstBlockOfWindow, 30);

  // The same head again, and a late head 26 with its known hash: ignored, state unchanged.
  for (const repeat of [head(31), head(26)]) {
    const u = clock.observe(repeat, 4000);
    assert.deepEqual(
      [u.newBlock, u.reorg, u.windowChanged, u.window, u.previousWindow],
      [false, false, false, 3, 3],
    );
    assert.equal(u.head.number, 31);
    assert.equal(u.head.receivedMs, 3000);
  }
  // The clock copied the hash: mutating the caller's array changes nothing.
  const input = head(32);
  clock.observe(input, 5000);
  input.hash.fill(0xff);
  assert.equal(clock.observe(head(32), 5001).newBlock, false);
});

test('observe: reorgs are accepted and may move the window back', () => {
  const clock = new ChainClock({ blocksPerWindow: 10, staleAfterMs: 30_000 });
  for (let n = 18; n <= 21; n++) clock.observe(head(n), n);
  // Same height, other hash.
  const same = clock.observe(head(21, 1), 100);
  assert.deepEqual([same.newBlock, same.reorg, same.windowChanged, same.window], [true, true, false, 2]);
  assert.equal(same.head.hash[31], 1);
  // Lower height, other hash: back to window 1.
  const back = clock.observe(head(19, 2), 200);
  assert.deepEqual(
    [back.newBlock, back.reorg, back.windowChanged, back.window, back.previousWindow],
    [true, true, true, 1, 2],
  );
  assert.equal(back.firstBlockOfWindow, 10);
  // From 19, block 21 is simply higher. Block 20 of fork 0 was forgotten by the reorg to 19, so
  // seeing it again is another reorg, not a late head.
  assert.equal(clock.observe(head(21, 1), 300).reorg, false);
  assert.equal(clock.observe(head(20, 0), 400).reorg, true);
  // The kept history (18 on fork 0) still identifies a late head.
  assert.equal(clock.observe(head(18), 500).newBlock, false);
  // A restarted devnet (genesis again) is a reorg.
  const genesis = clock.observe(head(0, 9), 600);
  assert.deepEqual([genesis.reorg, genesis.window, genesis.previousWindow], [true, 0, 2]);
});

test('observe: a head below the remembered history counts as a reorg', () => {
  const clock = new ChainClock({ blocksPerWindow: 10, staleAfterMs: 1000, historyBlocks: 3 });
  for (let n = 1; n <= 10; n++) clock.observe(head(n), n);
  assert.equal(clock.observe(head(8), 20).newBlock, false); // within the last 3
  assert.equal(clock.observe(head(7), 21).reorg, true); // forgotten, cannot be told apart
});

test('observe refuses malformed heads and leaves the clock as it was', () => {
  const clock = new ChainClock({ blocksPerWindow: 10, staleAfterMs: 1000 });
  clock.observe(head(5), 0);
  const bad: [HeadInput, number, string][] = [
    [{ ...head(6), number: -1 }, 0, 'BAD_BLOCK'],
    [{ ...head(6), hash: new Uint8Array(0) }, 0, 'BAD_HASH'],
    [{ ...head(6), hash: 'ab' as unknown as Uint8Array }, 0, 'BAD_HASH'],
    [{ ...head(6), timestampMs: -5 }, 0, 'BAD_TIMESTAMP'],
    [head(6), Number.NaN, 'BAD_TIME'],
  ];
  for (const [h, now, expected] of bad)
    assert.throws(() => clock.observe(h, now), reason(expected), expected);
  assert.equal(clock.snapshot(1).head?.number, 5);
  assert.throws(
    () => new ChainClock({ blocksPerWindow: 0, staleAfterMs: 1 }),
    reason('BAD_BLOCKS_PER_WINDOW'),
  );
  assert.throws(() => new ChainClock({ blocksPerWindow: 1, staleAfterMs: 0 }), reason('BAD_STALE_AFTER'));
  assert.throws(
    () => new ChainClock({ blocksPerWindow: 1, staleAfterMs: 1, historyBlocks: 0 }),
    reason('BAD_HISTORY'),
  );
});

test('snapshot and staleness transitions, reported once each', () => {
  const clock = new ChainClock({ blocksPerWindow: 10, staleAfterMs: 12_000 });
  assert.deepEqual(clock.snapshot(0), { ageMs: undefined, stale: true });
  assert.equal(clock.checkStale(0), undefined); // starts stale: nothing to report

  clock.observe(head(42), 100_000);
  const fresh = clock.snapshot(105_000);
  assert.equal(fresh.window, 4);
  assert.equal(fresh.ageMs, 5000);
  assert.equal(fresh.stale, false);
  assert.equal(clock.checkStale(105_000), 'became_fresh');
  assert.equal(clock.checkStale(106_000), undefined);

  // Exactly staleAfterMs old is still fresh; one ms more is stale. Repeats do not refresh.
  assert.equal(clock.checkStale(112_000), undefined);
  clock.observe(head(42), 112_500);
  assert.equal(clock.checkStale(112_001), 'became_stale');
  assert.equal(clock.snapshot(112_001).stale, true);
  assert.equal(clock.checkStale(200_000), undefined);

  clock.observe(head(43), 200_000);
  assert.equal(clock.checkStale(200_500), 'became_fresh');
  // A local clock that went backwards gives age 0, not a negative age.
  assert.equal(clock.snapshot(150_000).ageMs, 0);
  assert.throws(() => clock.checkStale(Number.POSITIVE_INFINITY), reason('BAD_TIME'));
});
