/**
 * The compressor client when there is no answer: a compressor that is down (a closed port: real) and
 * one that accepts the connection but never answers (a plain TCP socket that never speaks HTTP/2 — a
 * stand-in, because a real compressor cannot be made to hang on demand). Both fail the call with a
 * typed CompressorCallError and count the result; the success path, NO_VALID_PAYLOADS and identical
 * bytes are shown against a real compressor process in test/integration/aggregator.test.ts.
 * NO_VALID_PAYLOADS's mapping to verdicts is fed hand-made statuses: the aggregator's collector already
 * drops what a real compressor would refuse, so the real parts never send it a window of only bad payloads.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { CohortError, Code, encodeSs58, hotkeyFromSeed } from '@cohort/core';

import { CompressorCallError, createRemoteAggregator, refusedVerdicts } from './remote-aggregator.js';
import type { CompressorCallResult } from './remote-aggregator.js';
import type { AggregateRequest } from './payload-aggregator.js';

const key = hotkeyFromSeed(new Uint8Array(32).fill(3));
const request: AggregateRequest = {
  runId: 'remote-client',
  window: 1,
  aggregatorKey: key.publicKey,
  stateFingerprint: new Uint8Array(32),
  modelFingerprint: new Uint8Array(32),
  payloads: [{ hotkey: encodeSs58(key.publicKey), publicKey: key.publicKey, bytes: new Uint8Array(400) }],
};

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

describe('remote aggregator without an answer', () => {
  const sockets: Socket[] = [];
  const silent = createServer((socket) => sockets.push(socket));
  after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });

  test('a compressor that is down: COMPRESSOR_UNAVAILABLE, counted unavailable', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const calls: CompressorCallResult[] = [];
    const remote = createRemoteAggregator({
      address: `127.0.0.1:${port}`,
      timeoutMs: 5_000,
      onCall: (r) => calls.push(r),
    });
    try {
      await assert.rejects(
        remote.aggregate(request, new AbortController().signal),
        (e) => e instanceof CompressorCallError && e.reason === 'COMPRESSOR_UNAVAILABLE',
      );
      assert.deepEqual(calls, ['unavailable']);
    } finally {
      remote.close();
    }
  });

  test('a compressor that never answers: COMPRESSOR_TIMEOUT after compressorTimeoutMs, counted timeout', async () => {
    const port = await listen(silent);
    const calls: CompressorCallResult[] = [];
    const remote = createRemoteAggregator({
      address: `127.0.0.1:${port}`,
      timeoutMs: 300,
      onCall: (r) => calls.push(r),
    });
    const started = Date.now();
    try {
      await assert.rejects(
        remote.aggregate(request, new AbortController().signal),
        (e) => e instanceof CompressorCallError && e.reason === 'COMPRESSOR_TIMEOUT',
      );
      assert.ok(Date.now() - started >= 250, 'it waited for the deadline');
      assert.deepEqual(calls, ['timeout']);
    } finally {
      remote.close();
    }
  });
});

describe('NO_VALID_PAYLOADS to verdicts', () => {
  const two: AggregateRequest = { ...request, payloads: [request.payloads[0]!, request.payloads[0]!] };
  const status = (details: Record<string, string | number>) =>
    new CohortError(Code.FailedPrecondition, 'none valid', { reason: 'NO_VALID_PAYLOADS', details });

  test('one reason per payload when the status lists them, else its single reason, else NO_VALID_PAYLOADS', () => {
    const reasonsOf = (details: Record<string, string | number>) =>
      refusedVerdicts(two, status(details)).map((v) => [v.index, v.included, v.reason]);
    assert.deepEqual(
      reasonsOf({ reasons: 'BAD_MAGIC,WRONG_STATE', reasonsByPayload: 'WRONG_STATE,BAD_MAGIC' }),
      [
        [0, false, 'WRONG_STATE'],
        [1, false, 'BAD_MAGIC'],
      ],
    );
    assert.deepEqual(reasonsOf({ reasons: 'BAD_MAGIC' }), [
      [0, false, 'BAD_MAGIC'],
      [1, false, 'BAD_MAGIC'],
    ]);
    assert.deepEqual(reasonsOf({ reasons: 'BAD_MAGIC,WRONG_STATE' }), [
      [0, false, 'NO_VALID_PAYLOADS'],
      [1, false, 'NO_VALID_PAYLOADS'],
    ]);
  });
});
