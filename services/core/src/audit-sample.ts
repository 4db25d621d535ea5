/**
 * Which windows a replica audits (ADR 0013, layer 3): re-deriving an aggregate downloads every
 * contributor's payload, so a miner does it for a sampled fraction of the windows it applies. The choice
 * must be reproducible (the same inputs give the same answer, so tests and incident reviews can replay
 * it) and the aggregator must not be able to tell which windows escape every audit: the run id, window
 * and hotkey are public, so the caller mixes in a salt of its own (a miner draws one per process). With
 * an empty salt anyone can compute the schedule.
 */
import { blake2b256 } from './blake2b.js';
import { InvalidArgumentError } from './errors.js';

/** What decides one window's audit. */
export interface AuditSampleInput {
  readonly runId: string;
  /** SS58 of the replica's hotkey: different miners audit different windows. */
  readonly hotkey: string;
  readonly window: number;
  /** Fraction of windows audited, in [0, 1]: 0 never, 1 always. */
  readonly rate: number;
  /** Bytes only the replica knows, so the aggregator cannot predict its schedule; may be empty. */
  readonly salt: Uint8Array;
}

const DOMAIN = new TextEncoder().encode('cohort-audit/1');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * BLAKE2b-256 over (domain, run id, hotkey, window as u64 LE, salt), each text field ended by a zero byte
 * so ("ab", "c") ≠ ("a", "bc"): a per-hotkey, per-window draw only the salt's holder can predict. Shared
 * by the audit schedule and the validator's job order (evaluation-order.ts).
 */
export function saltedDigest(
  domain: Uint8Array,
  runId: string,
  hotkey: string,
  window: number,
  salt: Uint8Array,
): Uint8Array {
  const parts = [domain, text(runId), text(hotkey)];
  const length = parts.reduce((n, p) => n + p.length + 1, 0) + 8 + salt.length;
  const message = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    message.set(part, at);
    at += part.length + 1;
  }
  new DataView(message.buffer).setBigUint64(at, BigInt(window), true);
  message.set(salt, at + 8);
  return blake2b256(message);
}

/**
 * True when the replica audits `window`: the first 8 bytes of BLAKE2b-256 over
 * ("cohort-audit/1", run id, hotkey, window, salt), read as a little-endian uint64, fall below
 * rate · 2^64. Throws InvalidArgumentError for a rate outside [0, 1] or a window that is not a
 * non-negative integer.
 */
export function auditSampled(input: AuditSampleInput): boolean {
  const { runId, hotkey, window, rate, salt } = input;
  if (!Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new InvalidArgumentError(`Expected a number in [0, 1] for rate but received ${rate}`);
  }
  if (!Number.isSafeInteger(window) || window < 0) {
    throw new InvalidArgumentError(`Expected a non-negative integer for window but received ${window}`);
  }
  if (rate === 0) return false;
  if (rate === 1) return true;
  const digest = saltedDigest(DOMAIN, runId, hotkey, window, salt);
  const draw = new DataView(digest.buffer, digest.byteOffset, 8).getBigUint64(0, true);
  const threshold = BigInt(Math.floor(rate * 2 ** 53)) << 11n;
  return draw < threshold;
}
