/**
 * The checks on a compressor's answer (remote-aggregate-check.ts), on hand-made answers: a real
 * compressor always answers consistently, so the faults a broken or compromised one could produce
 * (wrong size, wrong digest, contributors other than requested, another window's or aggregator's
 * aggregate) can only be fed to the checker directly. The aggregate envelopes are core's test fixtures
 * (fixed header, contributor list, trailer); the body is never read by these checks.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { blake2b256, encodeSs58, hotkeyFromSeed } from '@cohort/core';
import type { HotkeyPair } from '@cohort/core';
import { fixtureAggregate } from '@cohort/core/testing';

import { RemoteAggregateRefusedError, checkRemoteAggregate } from './remote-aggregate-check.js';
import type { RemoteRefusal, RemoteSummary } from './remote-aggregate-check.js';
import type { AggregateRequest } from './payload-aggregator.js';

const RUN = 'remote-check';
const WINDOW = 7;
const STATE = 'ab'.repeat(32);
const pair = (n: number): HotkeyPair => hotkeyFromSeed(new Uint8Array(32).fill(n));
const AGGREGATOR = pair(0x40);
const [A, B, C] = [pair(0x41), pair(0x42), pair(0x43)] as [HotkeyPair, HotkeyPair, HotkeyPair];
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A stand-in payload: only its trailer digest (bytes len−96 … len−64) is read. */
function payload(fill: number): Uint8Array {
  const bytes = new Uint8Array(300).fill(fill);
  bytes.set(blake2b256(bytes.subarray(0, 204)), 204);
  return bytes;
}
const digestOf = (p: Uint8Array): Uint8Array => p.slice(p.length - 96, p.length - 64);

const payloads = [A, B, C].map((k, i) => ({
  hotkey: encodeSs58(k.publicKey),
  publicKey: k.publicKey,
  bytes: payload(i + 1),
}));
const request: AggregateRequest = {
  runId: RUN,
  window: WINDOW,
  aggregatorKey: AGGREGATOR.publicKey,
  stateFingerprint: Uint8Array.from(Buffer.from(STATE, 'hex')),
  modelFingerprint: new Uint8Array(32),
  payloads,
};

/** The aggregate of A and C (B excluded) as a correct compressor would return it, with overrides. */
function aggregate(over: Partial<Parameters<typeof fixtureAggregate>[0]> = {}): Uint8Array {
  return fixtureAggregate({
    signer: AGGREGATOR,
    runId: RUN,
    window: WINDOW,
    stateFingerprint: STATE,
    contributors: [payloads[0]!, payloads[2]!].map((p) => ({
      key: p.publicKey,
      digest: hex(digestOf(p.bytes)),
    })),
    ...over,
  });
}

function summaryOf(
  bytes: Uint8Array,
): RemoteSummary & { contributors: RemoteSummary['contributors'][number][] } {
  return {
    sizeBytes: BigInt(bytes.length),
    blake2b256: bytes.slice(bytes.length - 96, bytes.length - 64),
    contributors: payloads.map((p, i) =>
      i === 1
        ? {
            hotkey: p.hotkey,
            included: false,
            reasonCode: 'BAD_SIGNATURE',
            detail: 'sig',
            payloadBlake2b256: new Uint8Array(),
          }
        : {
            hotkey: p.hotkey,
            included: true,
            reasonCode: '',
            detail: '',
            payloadBlake2b256: digestOf(p.bytes),
          },
    ),
  };
}

async function refused(reason: RemoteRefusal, summary: RemoteSummary, bytes: Uint8Array): Promise<void> {
  await assert.rejects(
    checkRemoteAggregate(request, summary, bytes),
    (e) => e instanceof RemoteAggregateRefusedError && e.reason === reason,
    reason,
  );
}

describe('checkRemoteAggregate', () => {
  test('a consistent answer is accepted: the bytes and one verdict per payload, by index', async () => {
    const bytes = aggregate();
    const outcome = await checkRemoteAggregate(request, summaryOf(bytes), bytes);
    assert.equal(outcome.bytes, bytes);
    assert.deepEqual(
      outcome.contributors.map((c) => [c.index, c.included, c.reason, c.hotkey, c.digest && hex(c.digest)]),
      [
        [0, true, null, payloads[0]!.hotkey, hex(digestOf(payloads[0]!.bytes))],
        [1, false, 'BAD_SIGNATURE', payloads[1]!.hotkey, null],
        [2, true, null, payloads[2]!.hotkey, hex(digestOf(payloads[2]!.bytes))],
      ],
    );
  });

  test('size: announced and streamed bytes differ (SIZE_MISMATCH)', async () => {
    const bytes = aggregate();
    await refused('SIZE_MISMATCH', { ...summaryOf(bytes), sizeBytes: BigInt(bytes.length + 1) }, bytes);
    await refused('SIZE_MISMATCH', summaryOf(bytes), bytes.subarray(0, bytes.length - 10));
  });

  test('digest: the summary, the trailer and the bytes must agree (HASH_MISMATCH)', async () => {
    const bytes = aggregate();
    await refused('HASH_MISMATCH', { ...summaryOf(bytes), blake2b256: new Uint8Array(32).fill(9) }, bytes);
    const altered = Uint8Array.from(bytes);
    altered[bytes.length - 100]! ^= 1; // a body byte: the trailer no longer matches
    await refused('HASH_MISMATCH', summaryOf(bytes), altered);
  });

  test('contributors: count, hotkeys, order and digests as requested (CONTRIBUTORS_MISMATCH)', async () => {
    const bytes = aggregate();
    const fewer = summaryOf(bytes);
    fewer.contributors.pop();
    await refused('CONTRIBUTORS_MISMATCH', fewer, bytes);
    const swapped = summaryOf(bytes);
    swapped.contributors.reverse();
    await refused('CONTRIBUTORS_MISMATCH', swapped, bytes);
    const stranger = summaryOf(bytes);
    stranger.contributors[1] = { ...stranger.contributors[1]!, hotkey: encodeSs58(pair(0x50).publicKey) };
    await refused('CONTRIBUTORS_MISMATCH', stranger, bytes);
    const otherDigest = summaryOf(bytes);
    otherDigest.contributors[0] = { ...otherDigest.contributors[0]!, payloadBlake2b256: new Uint8Array(32) };
    await refused('CONTRIBUTORS_MISMATCH', otherDigest, bytes);
    // The aggregate lists B, which the summary calls excluded.
    const listsAll = aggregate({
      contributors: payloads.map((p) => ({ key: p.publicKey, digest: hex(digestOf(p.bytes)) })),
    });
    await refused('CONTRIBUTORS_MISMATCH', summaryOf(listsAll), listsAll);
  });

  test("header: this run, window, aggregator key and θ_w's fingerprint (HEADER_MISMATCH)", async () => {
    for (const over of [
      { runId: 'other-run' },
      { window: WINDOW + 1 },
      { signer: pair(0x51) },
      { stateFingerprint: 'cd'.repeat(32) },
    ]) {
      const bytes = aggregate(over);
      await refused('HEADER_MISMATCH', summaryOf(bytes), bytes);
    }
  });

  test('bytes that are no aggregate envelope (AGGREGATE_MALFORMED)', async () => {
    const bytes = new Uint8Array(600).fill(7);
    await refused('AGGREGATE_MALFORMED', { ...summaryOf(aggregate()), sizeBytes: 600n }, bytes);
  });
});
