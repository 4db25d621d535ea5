/**
 * The upload slot on the validator's clock and the first-seen times updates are judged by (protocol §1),
 * through core's windowVerdicts as the loop uses them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { windowVerdicts } from '@cohort/core';

import type { WindowStart } from '../miner/chain-feed.js';
import { judgedSeenMs, uploadSlotOf } from './upload-slot.js';
import type { Sighting, UploadSlot } from './upload-slot.js';

const SLOT = 70_000;
const GRACE = 2000;
/** The chain's clock runs 5 s behind this validator's. */
const toLocal = (chainMs: number): number => chainMs + 5000;
const T = 1_000_000; // chain start of w + 1, on the chain's clock
const exact: WindowStart = { window: 11, chainMs: T, earliestChainMs: T, exact: true, localMs: 0 };

/** The slot when this validator heard of w + 1 `lateMs` after it began. */
const slotHeardLate = (lateMs: number, start: WindowStart = exact): UploadSlot =>
  uploadSlotOf({ start, arrivalMs: toLocal(T) + lateMs, toLocal, uploadSlotMs: SLOT, graceMs: GRACE });

/** The verdict of one update seen in a listing from `at` to `at + listMs`. */
function verdictOf(slot: UploadSlot, at: number, listMs = 0): string {
  const seen: Sighting = { firstSeenMs: at, seenByMs: at + listMs };
  const v = windowVerdicts({
    registered: ['m'],
    firstSeenMs: new Map([['m', judgedSeenMs(seen, slot)]]),
    slot,
    evaluations: new Map(),
  });
  const verdict = v.verdicts.get('m');
  return verdict?.kind === 'fault' ? verdict.reason : v.inSlot.includes('m') ? 'ON_TIME' : 'NONE';
}

test('the slot opens at the chain start (on this clock), however late this validator heard of it', () => {
  const slot = slotHeardLate(9000);
  assert.equal(slot.basis, 'chain');
  assert.equal(slot.openMs, toLocal(T) - GRACE);
  assert.equal(slot.nominalCloseMs, toLocal(T) + SLOT);
  assert.equal(slot.closeMs, toLocal(T) + SLOT + GRACE);
  assert.equal(slot.lagMs, 9000);
});

test('an update seen 1 s after the late event, within the chain slot, is on time', () => {
  const heard = toLocal(T) + 9000;
  assert.equal(verdictOf(slotHeardLate(9000), heard + 1000), 'ON_TIME');
  // Seen before the late event but after the chain start: the case the event's own time got wrong.
  assert.equal(verdictOf(slotHeardLate(9000), toLocal(T) + 500), 'ON_TIME');
});

test('an update seen before the chain slot opened (less the grace) is early; within the grace it is not', () => {
  const slot = slotHeardLate(0);
  assert.equal(verdictOf(slot, toLocal(T) - GRACE - 1), 'EARLY');
  assert.equal(verdictOf(slot, toLocal(T) - GRACE + 1), 'ON_TIME');
});

test('an update first listed after the close plus the grace is late; within the grace it is not', () => {
  const slot = slotHeardLate(3000);
  assert.equal(verdictOf(slot, toLocal(T) + SLOT + GRACE + 1), 'LATE');
  assert.equal(verdictOf(slot, toLocal(T) + SLOT + GRACE - 1), 'ON_TIME');
});

test('a slow listing: early only if it ended before the open, late only if it started after the close', () => {
  const slot = slotHeardLate(0);
  // Started before the open, ended after it: the store may have answered after the upload landed.
  assert.equal(verdictOf(slot, slot.openMs - 3000, 4000), 'ON_TIME');
  assert.equal(verdictOf(slot, slot.openMs - 3000, 2000), 'EARLY');
  // Started before the close, ended after it.
  assert.equal(verdictOf(slot, slot.closeMs - 100, 5000), 'ON_TIME');
});

test('a start only known to a range opens at its beginning and closes a slot after its end', () => {
  const range: WindowStart = {
    window: 11,
    chainMs: T + 24_000,
    earliestChainMs: T,
    exact: false,
    localMs: 0,
  };
  const slot = slotHeardLate(30_000, range);
  assert.equal(slot.openMs, toLocal(T) - GRACE);
  assert.equal(slot.closeMs, toLocal(T + 24_000) + SLOT + GRACE);
});

test('a mapped start after the event itself is capped at the event (a block cannot come before it is made)', () => {
  const slot = uploadSlotOf({
    start: exact,
    arrivalMs: toLocal(T) - 1000,
    toLocal,
    uploadSlotMs: SLOT,
    graceMs: 0,
  });
  assert.equal(slot.nominalCloseMs, toLocal(T) - 1000 + SLOT);
  assert.equal(slot.lagMs, 0);
});

test('without a chain start or a usable chain clock the slot runs from the arrival', () => {
  for (const i of [
    { start: undefined, toLocal },
    { start: exact, toLocal: () => undefined },
  ]) {
    const slot = uploadSlotOf({ ...i, arrivalMs: 50_000, uploadSlotMs: SLOT, graceMs: GRACE });
    assert.deepEqual(slot, {
      openMs: 50_000 - GRACE,
      nominalCloseMs: 50_000 + SLOT,
      closeMs: 50_000 + SLOT + GRACE,
      basis: 'arrival',
      lagMs: 0,
    });
  }
});
