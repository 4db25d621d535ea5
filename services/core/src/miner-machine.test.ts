import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MinerMachine } from './miner-machine.js';
import type { MinerCommand, MinerEvent } from './miner-machine.js';

/** Feed events in order and collect every command. */
function run(m: MinerMachine, events: readonly MinerEvent[]): MinerCommand[] {
  return events.flatMap((e) => m.handle(e));
}

/** A machine that joined at window `w` with θ_w and started training it. */
function trainingAt(w: number): MinerMachine {
  const m = new MinerMachine();
  run(m, [
    { kind: 'window', window: w },
    { kind: 'synced', ok: true, stateWindow: w },
  ]);
  return m;
}

describe('MinerMachine', () => {
  test('join: resync first, then train the current window', () => {
    const m = new MinerMachine();
    assert.deepEqual(m.handle({ kind: 'window', window: 3 }), [{ kind: 'resync', reason: 'JOIN' }]);
    assert.equal(m.snapshot().phase, 'syncing');
    assert.deepEqual(m.handle({ kind: 'synced', ok: true, stateWindow: 3 }), [{ kind: 'train', window: 3 }]);
    assert.equal(m.snapshot().phase, 'training');
  });

  test('a full window: train, encode, upload in the next window, fetch and apply A_w, train w+1', () => {
    const m = trainingAt(5);
    assert.deepEqual(m.handle({ kind: 'trained', window: 5, ok: true }), [{ kind: 'encode', window: 5 }]);
    // Encoded before the upload slot opens: nothing yet.
    assert.deepEqual(m.handle({ kind: 'encoded', window: 5, ok: true }), []);
    assert.deepEqual(m.handle({ kind: 'window', window: 6 }), [{ kind: 'upload', window: 5 }]);
    assert.deepEqual(m.handle({ kind: 'uploaded', window: 5, ok: true }), [
      { kind: 'fetch_aggregate', window: 5 },
    ]);
    assert.deepEqual(m.handle({ kind: 'aggregate', window: 5, available: true }), [
      { kind: 'apply', window: 5 },
    ]);
    assert.deepEqual(m.handle({ kind: 'applied', window: 5, ok: true, fingerprint: 'f6', expected: 'f6' }), [
      { kind: 'train', window: 6 },
    ]);
    assert.deepEqual(m.snapshot(), {
      phase: 'training',
      chainWindow: 6,
      stateWindow: 6,
      stale: false,
      workWindow: 6,
    });
  });

  test('encoded after the window changed: upload at once', () => {
    const m = trainingAt(5);
    run(m, [{ kind: 'trained', window: 5, ok: true }]);
    // Training finished just before the boundary; the encode result arrives after it.
    m.handle({ kind: 'window', window: 6 });
    assert.deepEqual(m.handle({ kind: 'encoded', window: 5, ok: true }), [{ kind: 'upload', window: 5 }]);
  });

  test('a window that closes during training cancels it and skips the window', () => {
    const m = trainingAt(5);
    assert.deepEqual(m.handle({ kind: 'window', window: 6 }), [
      { kind: 'cancel_train', window: 5 },
      { kind: 'skip', window: 5, reason: 'WINDOW_CLOSED' },
      { kind: 'fetch_aggregate', window: 5 },
    ]);
    // The late result of the cancelled call changes nothing.
    assert.deepEqual(m.handle({ kind: 'trained', window: 5, ok: true }), []);
    assert.equal(m.snapshot().phase, 'idle');
  });

  test('catch-up: several aggregates in a row, no training of past windows, then train the current one', () => {
    const m = new MinerMachine();
    run(m, [{ kind: 'window', window: 9 }]);
    assert.deepEqual(m.handle({ kind: 'synced', ok: true, stateWindow: 6 }), [
      { kind: 'skip', window: 6, reason: 'LATE_JOIN' },
      { kind: 'fetch_aggregate', window: 6 },
    ]);
    const cmds = run(m, [
      { kind: 'aggregate', window: 6, available: true },
      { kind: 'applied', window: 6, ok: true },
      { kind: 'aggregate', window: 7, available: true },
      { kind: 'applied', window: 7, ok: true },
      { kind: 'aggregate', window: 8, available: true },
      { kind: 'applied', window: 8, ok: true },
    ]);
    assert.deepEqual(cmds, [
      { kind: 'apply', window: 6 },
      { kind: 'skip', window: 7, reason: 'LATE_JOIN' },
      { kind: 'fetch_aggregate', window: 7 },
      { kind: 'apply', window: 7 },
      { kind: 'skip', window: 8, reason: 'LATE_JOIN' },
      { kind: 'fetch_aggregate', window: 8 },
      { kind: 'apply', window: 8 },
      { kind: 'train', window: 9 },
    ]);
  });

  test('a fingerprint mismatch, a failed apply or a long lag resync, and nothing is published meanwhile', () => {
    const mismatch = trainingAt(2);
    run(mismatch, [
      { kind: 'trained', window: 2, ok: true },
      { kind: 'encoded', window: 2, ok: true },
      { kind: 'window', window: 3 },
      { kind: 'uploaded', window: 2, ok: true },
      { kind: 'aggregate', window: 2, available: true },
    ]);
    assert.deepEqual(
      mismatch.handle({ kind: 'applied', window: 2, ok: true, fingerprint: 'a', expected: 'b' }),
      [{ kind: 'resync', reason: 'FINGERPRINT_MISMATCH' }],
    );
    assert.equal(mismatch.snapshot().stateWindow, undefined);
    // While syncing, a new window trains nothing.
    assert.deepEqual(mismatch.handle({ kind: 'window', window: 4 }), []);
    assert.deepEqual(mismatch.handle({ kind: 'synced', ok: true, stateWindow: 4 }), [
      { kind: 'train', window: 4 },
    ]);

    const failed = new MinerMachine();
    run(failed, [
      { kind: 'window', window: 4 },
      { kind: 'synced', ok: true, stateWindow: 3 },
    ]);
    run(failed, [{ kind: 'aggregate', window: 3, available: true }]);
    assert.deepEqual(failed.handle({ kind: 'applied', window: 3, ok: false, reason: 'HASH_MISMATCH' }), [
      { kind: 'resync', reason: 'HASH_MISMATCH' },
    ]);

    const behind = new MinerMachine({ maxLagWindows: 2 });
    run(behind, [{ kind: 'window', window: 10 }]);
    assert.deepEqual(behind.handle({ kind: 'synced', ok: true, stateWindow: 7 }), [
      { kind: 'resync', reason: 'BEHIND' },
    ]);
  });

  test('a missing aggregate is asked for again at the next window, then the lag forces a resync', () => {
    const m = new MinerMachine({ maxLagWindows: 2 });
    run(m, [
      { kind: 'window', window: 1 },
      { kind: 'synced', ok: true, stateWindow: 1 },
    ]);
    run(m, [{ kind: 'window', window: 2 }]); // training cancelled, A_1 asked for
    assert.deepEqual(m.handle({ kind: 'aggregate', window: 1, available: false }), []);
    assert.deepEqual(m.handle({ kind: 'window', window: 3 }), [{ kind: 'fetch_aggregate', window: 1 }]);
    assert.deepEqual(m.handle({ kind: 'aggregate', window: 1, available: false }), []);
    assert.deepEqual(m.handle({ kind: 'window', window: 4 }), [{ kind: 'resync', reason: 'BEHIND' }]);
  });

  test('a stale chain starts no training; freshness resumes it; a window is never trained twice', () => {
    const m = new MinerMachine();
    run(m, [
      { kind: 'window', window: 1 },
      { kind: 'stale', stale: true },
    ]);
    assert.deepEqual(m.handle({ kind: 'synced', ok: true, stateWindow: 1 }), []);
    assert.deepEqual(m.handle({ kind: 'stale', stale: false }), [{ kind: 'train', window: 1 }]);
    assert.deepEqual(m.handle({ kind: 'trained', window: 1, ok: false, reason: 'WORKER_LOST' }), [
      { kind: 'skip', window: 1, reason: 'WORKER_LOST' },
    ]);
    // Still in window 1, θ_1 held: no second attempt at window 1.
    assert.deepEqual(m.handle({ kind: 'stale', stale: false }), []);
    assert.deepEqual(m.handle({ kind: 'window', window: 2 }), [{ kind: 'fetch_aggregate', window: 1 }]);
  });

  test('a failed resync is retried on the next event; a chain that goes back forces a resync', () => {
    const m = new MinerMachine();
    run(m, [{ kind: 'window', window: 5 }]);
    assert.deepEqual(m.handle({ kind: 'synced', ok: false, reason: 'NO_CHECKPOINT' }), []);
    assert.equal(m.snapshot().phase, 'unsynced');
    assert.deepEqual(m.handle({ kind: 'window', window: 6 }), [{ kind: 'resync', reason: 'JOIN' }]);
    run(m, [{ kind: 'synced', ok: true, stateWindow: 6 }]);
    assert.deepEqual(m.handle({ kind: 'window', window: 2 }), [
      { kind: 'cancel_train', window: 6 },
      { kind: 'resync', reason: 'CHAIN_WENT_BACK' },
    ]);
  });

  test('results for the wrong window or phase are ignored', () => {
    const m = trainingAt(5);
    assert.deepEqual(m.handle({ kind: 'trained', window: 4, ok: true }), []);
    assert.deepEqual(m.handle({ kind: 'uploaded', window: 5, ok: true }), []);
    assert.deepEqual(m.handle({ kind: 'applied', window: 5, ok: true }), []);
    assert.deepEqual(m.handle({ kind: 'aggregate', window: 5, available: true }), []);
    assert.equal(m.snapshot().phase, 'training');
  });
  test('a worker that lost its state mid-training: skip that window only, resync, train the next', () => {
    const m = trainingAt(7);
    assert.deepEqual(m.handle({ kind: 'replica_lost', reason: 'WORKER_RESTARTED' }), [
      { kind: 'skip', window: 7, reason: 'WORKER_RESTARTED' },
      { kind: 'resync', reason: 'WORKER_RESTARTED' },
    ]);
    // Lost again while the resync runs: nothing new.
    assert.deepEqual(m.handle({ kind: 'replica_lost', reason: 'WORKER_RESTARTED' }), []);
    // Back at θ_7 while the chain is still in 7: window 7 is not trained twice.
    assert.deepEqual(m.handle({ kind: 'synced', ok: true, stateWindow: 7 }), []);
    assert.deepEqual(m.handle({ kind: 'window', window: 8 }), [{ kind: 'fetch_aggregate', window: 7 }]);
    assert.deepEqual(m.handle({ kind: 'aggregate', window: 7, available: true }), [
      { kind: 'apply', window: 7 },
    ]);
    assert.deepEqual(m.handle({ kind: 'applied', window: 7, ok: true }), [{ kind: 'train', window: 8 }]);
  });

  test('an aggregate the aggregator skipped: resync at once instead of waiting out the lag', () => {
    const m = trainingAt(4);
    run(m, [
      { kind: 'trained', window: 4, ok: true },
      { kind: 'encoded', window: 4, ok: true },
      { kind: 'window', window: 5 },
      { kind: 'uploaded', window: 4, ok: true },
    ]);
    assert.deepEqual(m.handle({ kind: 'aggregate', window: 4, available: false }), []);
    assert.deepEqual(m.handle({ kind: 'aggregate', window: 4, available: false, missing: true }), [
      { kind: 'resync', reason: 'AGGREGATE_MISSING' },
    ]);
    assert.equal(m.snapshot().phase, 'syncing');
  });
});
