import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from './errors.js';
import { decideLease, leaseExpiresAt, releaseLease } from './lease.js';
import type { LeaseRecord } from './lease.js';

const reason = (expected: string) => (error: unknown) =>
  error instanceof InvalidArgumentError && error.reason === expected;

const T0 = Date.UTC(2026, 10, 23, 5, 0, 0);

const held = (holderIdentity: string, renewTimeMs = T0): LeaseRecord => ({
  holderIdentity,
  leaseDurationSeconds: 15,
  acquireTimeMs: T0 - 60_000,
  renewTimeMs,
  leaseTransitions: 4,
});

test('no record: acquire with zero transitions', () => {
  const d = decideLease({ current: undefined, identity: 'a', nowMs: T0, leaseDurationSeconds: 15 });
  assert.deepEqual(d, {
    action: 'acquire',
    previousHolder: '',
    record: {
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTimeMs: T0,
      renewTimeMs: T0,
      leaseTransitions: 0,
    },
  });
});

test('own record: renew keeps acquireTime and transitions, even after expiry', () => {
  for (const nowMs of [T0 + 1_000, T0 + 60_000]) {
    const d = decideLease({ current: held('a'), identity: 'a', nowMs, leaseDurationSeconds: 10 });
    assert.deepEqual(d, {
      action: 'renew',
      record: { ...held('a'), leaseDurationSeconds: 10, renewTimeMs: nowMs },
    });
  }
});

test("someone else's valid record: follow until renewTime + duration", () => {
  const d = decideLease({ current: held('b'), identity: 'a', nowMs: T0 + 14_999, leaseDurationSeconds: 15 });
  assert.deepEqual(d, { action: 'follow', holderIdentity: 'b', expiresAtMs: T0 + 15_000 });
});

test('exactly at expiry the lease is expired (client-go: valid while expiry is after now)', () => {
  const d = decideLease({ current: held('b'), identity: 'a', nowMs: T0 + 15_000, leaseDurationSeconds: 15 });
  assert.equal(d.action, 'acquire');
  assert.equal(leaseExpiresAt(held('b')), T0 + 15_000);
});

test('expired record: acquire, transitions + 1, previous holder reported', () => {
  const d = decideLease({ current: held('b'), identity: 'a', nowMs: T0 + 20_000, leaseDurationSeconds: 15 });
  assert.deepEqual(d, {
    action: 'acquire',
    previousHolder: 'b',
    record: {
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTimeMs: T0 + 20_000,
      renewTimeMs: T0 + 20_000,
      leaseTransitions: 5,
    },
  });
});

test('released record (empty holder): acquire at once, transitions + 1', () => {
  const released = releaseLease(held('b'), 'b', T0);
  assert.ok(released);
  assert.deepEqual(released, {
    ...held('b'),
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTimeMs: T0,
    renewTimeMs: T0,
  });
  const d = decideLease({ current: released, identity: 'a', nowMs: T0, leaseDurationSeconds: 15 });
  assert.equal(d.action, 'acquire');
  assert.equal(d.action === 'acquire' && d.record.leaseTransitions, 5);
  assert.equal(releaseLease(held('b'), 'a', T0), undefined, 'only the holder releases');
  assert.equal(releaseLease(undefined, 'a', T0), undefined);
});

test('observedAtMs judges expiry on the local clock (skew tolerance)', () => {
  // The holder's clock is 10 s behind ours: its renewTime looks 10 s old the moment we read it.
  const current = held('b', T0 - 10_000);
  const byRenewTime = decideLease({ current, identity: 'a', nowMs: T0 + 5_000, leaseDurationSeconds: 15 });
  assert.equal(byRenewTime.action, 'acquire', 'renewTime alone would steal a live lease');
  const byObservation = decideLease({
    current,
    identity: 'a',
    nowMs: T0 + 5_000,
    leaseDurationSeconds: 15,
    observedAtMs: T0,
  });
  assert.deepEqual(byObservation, { action: 'follow', holderIdentity: 'b', expiresAtMs: T0 + 15_000 });
});

test('bad inputs are typed errors', () => {
  const base = { current: undefined, identity: 'a', nowMs: T0, leaseDurationSeconds: 15 };
  assert.throws(() => decideLease({ ...base, identity: '' }), reason('BAD_IDENTITY'));
  assert.throws(() => decideLease({ ...base, nowMs: Number.NaN }), reason('BAD_TIME'));
  assert.throws(() => decideLease({ ...base, leaseDurationSeconds: 0 }), reason('BAD_LEASE_DURATION'));
  assert.throws(() => decideLease({ ...base, leaseDurationSeconds: 1.5 }), reason('BAD_LEASE_DURATION'));
  assert.throws(
    () => decideLease({ ...base, current: { ...held('b'), renewTimeMs: Number.NaN } }),
    reason('BAD_TIME'),
  );
  assert.throws(() => releaseLease(held('a'), '', T0), reason('BAD_IDENTITY'));
});
