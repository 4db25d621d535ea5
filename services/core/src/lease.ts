/**
 * Leader-lease decisions: given the lease record a replica just read, should it take the lease, renew it,
 * or follow its holder? The same rules as client-go's `tryAcquireOrRenew`, so a coordinator elected through a
 * Kubernetes Lease behaves like every other controller, and the local lock store reuses them unchanged.
 *
 * Pure: the elector (an I/O shell) reads the record and the clock and writes what this returns; nothing here
 * reads a clock, a file or a socket.
 *
 * Clock skew. A lease expires at `reference + leaseDurationSeconds`, and `nowMs < expiry` means valid (so at
 * exactly `expiry` it is expired, as client-go's `expiry.After(now)`). The reference is `renewTime` as the
 * holder wrote it, unless the caller passes `observedAtMs`: the follower's *own* clock reading when it first
 * saw this renewal. client-go always uses the latter, and so does the coordinator's elector, because a
 * holder's `renewTime` is in the holder's clock: a follower whose clock runs `s` ahead would see the lease
 * expire `s` early and two leaders could act at once. With the observed time only clock *rate* differences
 * matter (negligible over seconds), and observation happens after the write, so it can only delay a
 * takeover, never hasten it. The holder stops acting as leader once it has gone `renewDeadline` (its own
 * clock) without a successful renewal; `leaseDuration - renewDeadline` is the margin that covers the read
 * latency and drift, so keep it at several seconds (client-go defaults: 15 s lease, 10 s deadline, 2 s retry).
 */
import { InvalidArgumentError, expectedMessage } from './errors.js';

/** A lease record as stored (a Kubernetes `LeaseSpec` or the local lock file), times in ms since the epoch. */
export interface LeaseRecord {
  /** Who holds it; `''` once released (client-go's release writes an empty holder). */
  readonly holderIdentity: string;
  /** How long a renewal stays valid, in whole seconds (the Kubernetes field's unit). */
  readonly leaseDurationSeconds: number;
  /** When the current holder acquired it. */
  readonly acquireTimeMs: number;
  /** When the current holder last renewed it. */
  readonly renewTimeMs: number;
  /** How many times the holder changed. */
  readonly leaseTransitions: number;
}

/** What a replica should do after reading the lease. */
export type LeaseDecision =
  /** Write `record` (none existed, it was released, or it expired): this replica becomes the leader. */
  | { readonly action: 'acquire'; readonly record: LeaseRecord; readonly previousHolder: string }
  /** Write `record` (this replica holds it): stay leader. */
  | { readonly action: 'renew'; readonly record: LeaseRecord }
  /** Someone else holds a valid lease until `expiresAtMs` (on the reference clock): do nothing. */
  | { readonly action: 'follow'; readonly holderIdentity: string; readonly expiresAtMs: number };

/** Inputs of {@link decideLease}. */
export interface LeaseDecisionInput {
  /** The record just read; `undefined` when none exists yet. */
  readonly current: LeaseRecord | undefined;
  /** This replica's identity (pod name, or host + pid): unique among the candidates. */
  readonly identity: string;
  /** The local clock now, ms since the epoch. */
  readonly nowMs: number;
  /** The duration this replica writes when it acquires or renews, whole seconds >= 1. */
  readonly leaseDurationSeconds: number;
  /** The local time this replica first saw `current`'s renewal; judges expiry instead of `renewTime`. */
  readonly observedAtMs?: number | undefined;
}

function requireTime(value: number, what: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidArgumentError(expectedMessage('a finite number of milliseconds', what, value), {
      reason: 'BAD_TIME',
    });
  }
}

function requireDuration(value: number, what: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(expectedMessage('a whole number of seconds >= 1', what, value), {
      reason: 'BAD_LEASE_DURATION',
    });
  }
}

function requireIdentity(identity: string): void {
  if (typeof identity !== 'string' || identity.length === 0) {
    throw new InvalidArgumentError(expectedMessage('a non-empty string', 'identity', identity), {
      reason: 'BAD_IDENTITY',
    });
  }
}

/**
 * When `record` stops being valid: `(observedAtMs ?? renewTimeMs) + leaseDurationSeconds * 1000`. Valid
 * while `nowMs < expiry`. Throws `BAD_TIME`, `BAD_LEASE_DURATION`.
 */
export function leaseExpiresAt(record: LeaseRecord, observedAtMs?: number): number {
  requireDuration(record.leaseDurationSeconds, 'leaseDurationSeconds');
  const reference = observedAtMs ?? record.renewTimeMs;
  requireTime(reference, observedAtMs === undefined ? 'renewTime' : 'observedAtMs');
  return reference + record.leaseDurationSeconds * 1000;
}

/**
 * Decide between acquire, renew and follow (client-go's rules): the holder renews (keeping acquireTime and
 * the transition count); anyone takes a missing, released or expired lease (`leaseTransitions + 1` when the
 * holder changes, 0 for a brand-new record); otherwise follow. Throws `BAD_IDENTITY`, `BAD_TIME`,
 * `BAD_LEASE_DURATION`.
 */
export function decideLease(input: LeaseDecisionInput): LeaseDecision {
  const { current, identity, nowMs, leaseDurationSeconds } = input;
  requireIdentity(identity);
  requireTime(nowMs, 'nowMs');
  requireDuration(leaseDurationSeconds, 'leaseDurationSeconds');
  if (current === undefined) {
    const record = {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTimeMs: nowMs,
      renewTimeMs: nowMs,
    };
    return { action: 'acquire', record: { ...record, leaseTransitions: 0 }, previousHolder: '' };
  }
  if (current.holderIdentity === identity) {
    return { action: 'renew', record: { ...current, leaseDurationSeconds, renewTimeMs: nowMs } };
  }
  const expiresAtMs = leaseExpiresAt(current, input.observedAtMs);
  if (current.holderIdentity !== '' && nowMs < expiresAtMs) {
    return { action: 'follow', holderIdentity: current.holderIdentity, expiresAtMs };
  }
  return {
    action: 'acquire',
    record: {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTimeMs: nowMs,
      renewTimeMs: nowMs,
      leaseTransitions: current.leaseTransitions + 1,
    },
    previousHolder: current.holderIdentity,
  };
}

/**
 * The record a stepping-down holder writes so a follower can take over at once instead of waiting out the
 * lease (client-go's `ReleaseOnCancel`): empty holder, 1 s duration, transitions kept. `undefined` when
 * `identity` does not hold `current` (nothing to release). Throws `BAD_IDENTITY`, `BAD_TIME`.
 */
export function releaseLease(
  current: LeaseRecord | undefined,
  identity: string,
  nowMs: number,
): LeaseRecord | undefined {
  requireIdentity(identity);
  requireTime(nowMs, 'nowMs');
  if (current === undefined || current.holderIdentity !== identity) return undefined;
  return {
    ...current,
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTimeMs: nowMs,
    renewTimeMs: nowMs,
  };
}
