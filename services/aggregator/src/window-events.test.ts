import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { createLogger } from '@cohort/kit';
import { WindowEventSchema } from '@cohort/proto/cohort/events/v1/events';

import type { Clock } from './clock.js';
import type { WindowArrival } from './window-aggregator.js';
import { WindowEventQueue } from './window-events.js';

const clock: Clock & { t: number } = {
  t: 1000,
  now() {
    return this.t;
  },
  sleep: () => Promise.resolve(),
};
const log = createLogger({ service: 'aggregator-test', level: 'error', write: () => undefined });
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function recorder() {
  const seen: WindowArrival[] = [];
  let active = 0;
  let overlapped = false;
  const gates: (() => void)[] = [];
  const handle = async (event: WindowArrival): Promise<void> => {
    active += 1;
    overlapped ||= active > 1;
    seen.push(event);
    await new Promise<void>((resolve) => gates.push(resolve));
    active -= 1;
  };
  const release = async (): Promise<void> => {
    await tick();
    gates.shift()?.();
    await tick();
  };
  return { seen, handle, release, overlapped: () => overlapped };
}

test('events queue until start, then run one at a time in order, stamped with their arrival', async () => {
  const r = recorder();
  const queue = new WindowEventQueue(r.handle, clock, log);
  queue.push(3);
  clock.t = 2000;
  queue.push(4);
  await tick();
  assert.equal(r.seen.length, 0);
  queue.start();
  await tick();
  assert.deepEqual(r.seen, [{ window: 3, arrivedUnixMs: 1000 }]);
  queue.push(5);
  await r.release();
  await r.release();
  await r.release();
  await queue.idle();
  assert.deepEqual(
    r.seen.map((e) => e.window),
    [3, 4, 5],
  );
  assert.equal(r.overlapped(), false);
});

test('a repeated or older window is dropped; protobuf messages decode; garbage is ignored', async () => {
  const r = recorder();
  const queue = new WindowEventQueue(r.handle, clock, log);
  queue.start();
  const message = (window: number): Uint8Array =>
    toBinary(WindowEventSchema, create(WindowEventSchema, { window: BigInt(window), firstBlock: 1n }));
  queue.onMessage(message(7));
  queue.onMessage(message(7));
  queue.onMessage(message(6));
  queue.onMessage(Uint8Array.of(0xff, 0xff, 0xff));
  queue.onMessage(message(8));
  for (let i = 0; i < 3; i++) await r.release();
  await queue.idle();
  assert.deepEqual(
    r.seen.map((e) => e.window),
    [7, 8],
  );
});

test('stop drops queued events and waits for the one in flight; later events are ignored', async () => {
  const r = recorder();
  const queue = new WindowEventQueue(r.handle, clock, log);
  queue.start();
  queue.push(1);
  queue.push(2);
  await tick();
  const stopped = queue.stop();
  let done = false;
  void stopped.then(() => (done = true));
  await tick();
  assert.equal(done, false, 'waits for window 1');
  await r.release();
  await stopped;
  queue.push(3);
  await tick();
  assert.deepEqual(
    r.seen.map((e) => e.window),
    [1],
  );
});

test('a handler that throws does not stop the queue', async () => {
  const seen: number[] = [];
  const queue = new WindowEventQueue(
    (event) => {
      seen.push(event.window);
      return event.window === 1 ? Promise.reject(new Error('boom')) : Promise.resolve();
    },
    clock,
    log,
  );
  queue.start();
  queue.push(1);
  queue.push(2);
  await tick();
  await queue.idle();
  assert.deepEqual(seen, [1, 2]);
});
