/**
 * The deadlines the miner role gives a stopped loop's upload: the grace from the lost lead, or the
 * grace from the shutdown's start less a margin for the later hooks; a shutdown tightens both.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createLoopRetirement } from './loop-retirement.js';
import type { StoppableLoop } from './loop-retirement.js';

function fakeLoop() {
  const deadlines: number[] = [];
  let settle = (): void => undefined;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const loop: StoppableLoop = {
    stop(deadlineMs) {
      deadlines.push(deadlineMs);
      return settled;
    },
  };
  return { loop, deadlines, settle };
}

test('a lost lead: the grace from now; a shutdown after it brings the deadline to the shutdown’s', async () => {
  let t = 1000;
  const shutdown = new AbortController();
  const r = createLoopRetirement({ graceMs: 15_000, shutdownSignal: shutdown.signal, now: () => t });
  const old = fakeLoop();
  r.retire(old.loop);
  assert.deepEqual(old.deadlines, [16_000]);
  t = 2000;
  shutdown.abort();
  t = 5000; // the gRPC drain and the leader hook ran meanwhile
  const current = fakeLoop();
  r.retire(current.loop);
  let settled = false;
  const done = r.settle().then(() => (settled = true));
  // 2000 + 15 000 − min(1000, 1500)
  assert.deepEqual(old.deadlines, [16_000, 16_000]);
  assert.deepEqual(current.deadlines, [16_000, 16_000]);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(settled, false, 'settles only when every loop has');
  old.settle();
  current.settle();
  await done;
});

test('a short grace keeps a tenth for the later hooks; settled loops are not waited for again', async () => {
  const shutdown = new AbortController();
  shutdown.abort();
  const r = createLoopRetirement({ graceMs: 2000, shutdownSignal: shutdown.signal, now: () => 100 });
  const a = fakeLoop();
  r.retire(a.loop);
  assert.deepEqual(a.deadlines, [1900]);
  a.settle();
  await new Promise((resolve) => setTimeout(resolve, 0));
  await r.settle();
  assert.deepEqual(a.deadlines, [1900], 'a settled loop is gone from the set');
});
