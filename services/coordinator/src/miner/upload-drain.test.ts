/**
 * The puts a stopping loop lets finish: each runs on until the stop's deadline or its slot's close,
 * whichever comes first, and is aborted with that reason then; a later stop only brings it forward.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { UploadDrain, abandonReason } from './upload-drain.js';
import type { InflightUpload } from './upload-drain.js';

/** A put that settles when the test says so, or rejects when its signal aborts. */
function heldPut(window: number, closesAt?: number) {
  const abort = new AbortController();
  let finish = (): void => undefined;
  const put = new Promise<void>((resolve, reject) => {
    finish = resolve;
    abort.signal.addEventListener('abort', () => reject(new Error('cancelled')), { once: true });
  });
  const upload: InflightUpload = { window, closesAt, abort };
  return { upload, put, finish, signal: abort.signal };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('an upload under way finishes within the deadline: not aborted, the drain waits for it', async () => {
  const drain = new UploadDrain();
  const a = heldPut(5);
  drain.track(a.upload, a.put);
  let drained = false;
  const done = drain.drain(Date.now() + 5000).then(() => (drained = true));
  await sleep(20);
  assert.equal(a.signal.aborted, false, 'a stop does not cut the put');
  assert.equal(drained, false, 'the drain waits for it');
  a.finish();
  await done;
  assert.equal(a.signal.aborted, false);
});

test('one still running at the deadline is abandoned (SHUTDOWN_GRACE); the drain resolves', async () => {
  const drain = new UploadDrain();
  const a = heldPut(5, Date.now() + 60_000);
  drain.track(a.upload, a.put);
  a.put.catch(() => undefined);
  const began = Date.now();
  await drain.drain(began + 40);
  assert.ok(Date.now() - began >= 35, 'not before the deadline');
  assert.equal(abandonReason(a.signal), 'SHUTDOWN_GRACE');
});

test('never past its upload slot (UPLOAD_SLOT_CLOSED), whatever the grace', async () => {
  const drain = new UploadDrain();
  const a = heldPut(5, Date.now() + 30);
  drain.track(a.upload, a.put);
  a.put.catch(() => undefined);
  await drain.drain(Date.now() + 60_000);
  assert.equal(abandonReason(a.signal), 'UPLOAD_SLOT_CLOSED');
});

test('a deadline already past aborts at once; a second drain only brings the deadline forward', async () => {
  const drain = new UploadDrain();
  const a = heldPut(5);
  drain.track(a.upload, a.put);
  a.put.catch(() => undefined);
  void drain.drain(Date.now() + 60_000);
  void drain.drain(Date.now() + 120_000); // later: ignored
  await sleep(10);
  assert.equal(a.signal.aborted, false);
  await drain.drain(Date.now() - 1);
  assert.equal(abandonReason(a.signal), 'SHUTDOWN_GRACE');
});

test('nothing in flight: the drain resolves at once; a failed put is not abandoned', async () => {
  const drain = new UploadDrain();
  const failed = heldPut(4);
  drain.track(failed.upload, Promise.reject(new Error('store down')));
  await drain.drain(Date.now() + 60_000);
  assert.equal(abandonReason(failed.signal), undefined);
  assert.equal(abandonReason(AbortSignal.abort('something else')), undefined);
});
