import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from './errors.js';
import { forEachLimited } from './for-each-limited.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('every item once, never more than the limit in flight', async () => {
  const seen: number[] = [];
  let inFlight = 0;
  let peak = 0;
  await forEachLimited([10, 11, 12, 13, 14, 15, 16], 3, async (item, index) => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    await tick();
    assert.equal(item, index + 10);
    seen.push(item);
    inFlight -= 1;
  });
  assert.deepEqual([...seen].sort(), [10, 11, 12, 13, 14, 15, 16]);
  assert.equal(peak, 3);
  await forEachLimited([], 4, () => Promise.reject(new Error('never called')));
});

test('after a failure no item starts, and it rejects only once the calls in flight have ended', async () => {
  const started: number[] = [];
  let running = 0;
  let ranAfterSettle = false;
  let settled = false;
  const ticks = [1, 3, 6]; // item 0 ends first, so item 2 starts; item 1 fails while item 2 still runs
  const run = forEachLimited([0, 1, 2, 3, 4, 5, 6, 7], 2, async (item) => {
    started.push(item);
    running += 1;
    for (let i = 0; i < (ticks[item] ?? 1); i++) await tick();
    running -= 1;
    if (item === 1) throw new Error(`item ${item} failed`);
    if (item === 2) throw new Error('a later failure is not the one reported');
    if (settled) ranAfterSettle = true;
  });
  await assert.rejects(run, /item 1 failed/);
  settled = true;
  assert.equal(running, 0, 'nothing in flight when it rejected');
  assert.deepEqual(started, [0, 1, 2], 'item 2 had started before the failure, nothing after');
  for (let i = 0; i < 10; i++) await tick();
  assert.equal(ranAfterSettle, false);
});

test('a limit that is not a positive integer is refused', async () => {
  for (const limit of [0, -1, 1.5, Number.NaN])
    await assert.rejects(
      forEachLimited([1], limit, () => Promise.resolve()),
      InvalidArgumentError,
    );
});
