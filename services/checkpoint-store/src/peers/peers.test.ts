/**
 * The peer-read machinery: the semaphore bounds concurrency per peer, retries hit only transient
 * failures with bounded jittered back-off, the pool keeps one client per committed bucket identity and a
 * stalled peer does not hold up another, and first-seen times are the store's own and stable.
 * The pool is exercised with an in-test backend (the real backends have their own tests against real
 * files and a real RADOS Gateway); here only the pool's scheduling is under test.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { StoreError } from '../backends/backend.js';
import type { ObjectBackend } from '../backends/backend.js';
import { FirstSeenRegistry } from './first-seen.js';
import { PeerPool, peerId } from './peer-pool.js';
import type { PeerBucket } from './peer-pool.js';
import { isRetryable, withRetries } from './retry.js';
import { Semaphore } from './semaphore.js';

const peer = (endpoint: string): PeerBucket => ({
  endpoint,
  bucket: 'b',
  region: 'us-east-1',
  accessKeyId: 'k',
  secretAccessKey: 's',
  pathStyle: true,
});

test('the semaphore never lets more than its limit run, and serves waiters in order', async () => {
  const s = new Semaphore(2);
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      s.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        order.push(i);
        running--;
      }),
    ),
  );
  assert.equal(peak, 2);
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
  const blocker = new Semaphore(1);
  const release = blocker.run(() => new Promise((r) => setTimeout(r, 50)));
  const controller = new AbortController();
  const waiting = blocker.run(() => Promise.resolve('ran'), controller.signal);
  controller.abort(new Error('gave up'));
  await assert.rejects(waiting, /gave up/);
  await release;
  assert.equal(blocker.held, 0);
});

test('retries: transient reasons are retried within the attempt budget, others fail at once', async () => {
  assert.ok(isRetryable(new StoreError('PEER_TIMEOUT', 't')));
  assert.ok(!isRetryable(new StoreError('NOT_FOUND', 'n')));
  assert.ok(!isRetryable(new Error('plain')));
  let calls = 0;
  const flaky = () => {
    calls++;
    return calls < 3 ? Promise.reject(new StoreError('PEER_UNREACHABLE', 'down')) : Promise.resolve('ok');
  };
  const policy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 4, random: () => 0.5 };
  assert.equal(await withRetries(flaky, policy), 'ok');
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(
    withRetries(() => {
      calls++;
      return Promise.reject(new StoreError('PEER_DENIED', 'no'));
    }, policy),
    (e: unknown) => e instanceof StoreError && e.reason === 'PEER_DENIED',
  );
  assert.equal(calls, 1);
  calls = 0;
  await assert.rejects(
    withRetries(() => {
      calls++;
      return Promise.reject(new StoreError('PEER_TIMEOUT', 'slow'));
    }, policy),
  );
  assert.equal(calls, 3);
});

test('the pool keeps one client per bucket identity and a stalled peer does not block another', async () => {
  const created: string[] = [];
  const backend = (endpoint: string): ObjectBackend =>
    ({
      kind: 's3',
      head: (key: string) =>
        endpoint.includes('stalled')
          ? new Promise(() => undefined) // never answers
          : Promise.resolve({
              key,
              sizeBytes: 1,
              blake2b256: new Uint8Array(32),
              contentType: '',
              storedUnixMs: 0,
            }),
      close: () => Promise.resolve(),
    }) as unknown as ObjectBackend;
  const pool = new PeerPool({
    createBackend: (p) => {
      created.push(peerId(p));
      return Promise.resolve(backend(p.endpoint));
    },
    concurrencyPerPeer: 2,
    retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    maxPeers: 10,
    idleMs: 1000,
  });
  const stalled = peer('http://stalled:1');
  const healthy = peer('http://healthy:1');
  // Fill the stalled peer's two slots (and queue a third).
  for (let i = 0; i < 3; i++) void pool.run(stalled, (b) => b.head('k'));
  const started = performance.now();
  const meta = await pool.run(healthy, (b) => b.head('k'));
  assert.equal(meta?.key, 'k');
  assert.ok(performance.now() - started < 1000, 'the healthy peer answered while the stalled one hung');
  await pool.run(healthy, (b) => b.head('k2'));
  assert.equal(created.length, 2, 'one client per bucket identity');
  assert.notEqual(
    peerId(healthy),
    peerId({ ...healthy, accessKeyId: 'other' }),
    'new credentials, new client',
  );
});

test('first-seen times are recorded once by the injected clock and bounded in number', () => {
  let now = 1000;
  const seen = new FirstSeenRegistry(2, () => now);
  assert.equal(seen.observe('a'), 1000);
  now = 2000;
  assert.equal(seen.observe('a'), 1000, 'the first sighting sticks');
  assert.equal(seen.observe('b'), 2000);
  seen.observe('c');
  assert.equal(seen.size, 2);
  assert.equal(seen.get('a'), undefined, 'the oldest is forgotten first');
});

test('a streamed body keeps its pool slot until it is consumed or released; no idle sweep closes it', async () => {
  let clock = 0;
  let closed = 0;
  const body = (gate: Promise<void>) =>
    (async function* () {
      yield new Uint8Array([1]);
      await gate;
      yield new Uint8Array([2]);
    })();
  let open = (): void => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const backend = {
    kind: 's3',
    get: () => Promise.resolve({ meta: { key: 'k' }, body: body(gate) }),
    close: () => {
      closed++;
      return Promise.resolve();
    },
  } as unknown as ObjectBackend;
  const pool = new PeerPool({
    createBackend: () => Promise.resolve(backend),
    concurrencyPerPeer: 1,
    retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    maxPeers: 10,
    idleMs: 1000,
    now: () => clock,
  });
  const p = peer('http://slow:1');
  const first = await pool.runStreaming(p, (b) => b.get('k'));
  const chunks: number[] = [];
  const reading = (async () => {
    for await (const c of first.body) chunks.push(...c);
  })();
  // The only slot is held while the body streams: another read waits.
  let secondDone = false;
  const second = pool.run(p, (b) => b.get('k')).then(() => (secondDone = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(secondDone, false, 'the slot is held by the streaming body');
  clock = 10_000; // long past idleMs
  await pool.sweep();
  assert.equal(closed, 0, 'a client streaming a body is never closed as idle');
  open();
  await reading;
  await second;
  assert.deepEqual(chunks, [1, 2]);
  // A body never read is released by the caller.
  const unread = await pool.runStreaming(p, (b) => b.get('k'));
  unread.release();
  unread.release(); // idempotent
  await pool.run(p, () => Promise.resolve('free'));
  // And by an aborted call.
  const abort = new AbortController();
  await pool.runStreaming(p, (b) => b.get('k'), abort.signal);
  abort.abort();
  assert.equal(await pool.run(p, () => Promise.resolve('free again')), 'free again');
});
