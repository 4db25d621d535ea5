/**
 * The chain feed over a stand-in NATS connection: windows once each, and with each new window when it
 * began by the chain's timestamps (exact when the block before it was seen), never when the event came.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { runSubjects } from '@cohort/core';
import { createLogger } from '@cohort/kit';
import type { NatsHandle } from '@cohort/kit';
import { BlockEventSchema, WindowEventSchema } from '@cohort/proto/cohort/events/v1/events';

import { startChainFeed, windowStartOf } from './chain-feed.js';
import type { ChainBlock, WindowStart } from './chain-feed.js';

const RUN = 'feed-test';
const subjects = runSubjects(RUN);
/** Chain time of block n: 12 s blocks from an arbitrary genesis. */
const ts = (n: number): number => 1_700_000_000_000 + 12_000 * n;

type Callback = (error: Error | null, msg: { subject: string; data: Uint8Array }) => void;

function feed(initialHead?: () => Promise<{ window: number; stale: boolean } | undefined>) {
  const callbacks = new Map<string, Callback>();
  const nats = {
    nc: {
      subscribe: (subject: string, o: { callback: Callback }) => {
        callbacks.set(subject, o.callback);
        return { unsubscribe: () => callbacks.delete(subject) };
      },
    },
  } as unknown as NatsHandle;
  let clock = 5_000;
  const windows: { window: number; start: WindowStart | undefined }[] = [];
  const blocks: ChainBlock[] = [];
  const f = startChainFeed({
    nats,
    runId: RUN,
    staleAfterMs: 60_000,
    log: createLogger({ service: 'test', write: () => undefined }),
    now: () => clock,
    listener: {
      window: (window, start) => windows.push({ window, start }),
      stale: () => undefined,
      block: (b) => blocks.push(b),
    },
    ...(initialHead && { initialHead }),
  });
  const send = (subject: string, data: Uint8Array): void => callbacks.get(subject)!(null, { subject, data });
  return {
    windows,
    blocks,
    stop: () => f.stop(),
    at: (ms: number) => void (clock = ms),
    /** Block n of a 10-block window. */
    block: (n: number) =>
      send(
        subjects.block,
        toBinary(
          BlockEventSchema,
          create(BlockEventSchema, {
            number: BigInt(n),
            timestampUnixMs: BigInt(ts(n)),
            window: BigInt(Math.floor(n / 10)),
          }),
        ),
      ),
    window: (w: number, firstSeen: number) =>
      send(
        subjects.window,
        toBinary(
          WindowEventSchema,
          create(WindowEventSchema, {
            window: BigInt(w),
            firstBlock: BigInt(w * 10),
            startedUnixMs: BigInt(ts(firstSeen)),
          }),
        ),
      ),
  };
}

test('a window seen from its first block starts exactly at that block’s chain time', () => {
  const f = feed();
  f.at(100);
  f.block(98);
  f.block(99);
  f.at(9_999); // this process heard of block 100 late: the start does not move with it
  f.block(100);
  f.window(10, 100); // the bridge's window event after the block: a repeat
  f.stop();
  assert.deepEqual(
    f.windows.map((w) => w.window),
    [9, 10],
  );
  assert.deepEqual(f.windows[1]!.start, {
    window: 10,
    chainMs: ts(100),
    earliestChainMs: ts(100),
    exact: true,
    localMs: 9_999,
  });
  assert.deepEqual(
    f.blocks.map((b) => [b.number, b.chainMs, b.localMs]),
    [
      [98, ts(98), 100],
      [99, ts(99), 100],
      [100, ts(100), 9_999],
    ],
  );
});

test('a window whose first blocks were skipped began between the last block before and the first seen', () => {
  const f = feed();
  f.block(99);
  f.block(102);
  f.stop();
  assert.deepEqual(f.windows[1]!.start, {
    window: 10,
    chainMs: ts(102),
    earliestChainMs: ts(99),
    exact: false,
    localMs: 5_000,
  });
});

test('with no block of the window before, the first one seen is all there is', () => {
  const f = feed();
  f.block(85); // window 8: not the window before 10
  f.block(103);
  f.stop();
  const start = f.windows.at(-1)!.start!;
  assert.equal(start.exact, false);
  assert.equal(start.earliestChainMs, ts(103));
});

test('a window event whose block event was lost still carries the chain start the bridge saw', () => {
  const f = feed();
  f.block(99);
  f.window(10, 101);
  f.stop();
  assert.deepEqual(f.windows[1]!.start, {
    window: 10,
    chainMs: ts(101),
    earliestChainMs: ts(99),
    exact: false,
    localMs: 5_000,
  });
});

test('the head read at start-up names the window without a start', async () => {
  const f = feed(() => Promise.resolve({ window: 4, stale: false }));
  await new Promise((resolve) => setImmediate(resolve));
  f.stop();
  assert.deepEqual(f.windows, [{ window: 4, start: undefined }]);
});

test('windowStartOf: a block before the first seen that is not adjacent makes no exact start', () => {
  const previous: ChainBlock = { number: 97, window: 9, chainMs: ts(97), localMs: 0 };
  const start = windowStartOf(10, { number: 100, chainMs: ts(100), localMs: 1 }, previous);
  assert.equal(start.exact, false);
  assert.equal(start.earliestChainMs, ts(97));
});
