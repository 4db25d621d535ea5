/**
 * Aggregate objects for tests of code that reads envelopes without a codec (core's checkAggregate, the
 * replicas' trust checks over fake engines): the wire format's fixed header, contributor list and
 * trailer (docs/wire-format.md §4, §8) around a stand-in body no envelope reader looks at. Not a valid
 * aggregate for the engine; tests with a real engine use the native encoder's objects.
 */
import { blake2b256 } from '../blake2b.js';
import { signDigest } from '../hotkey-signature.js';
import type { HotkeyPair } from '../hotkey-signature.js';

/** What the fixture's aggregate says. */
export interface AggregateFixture {
  readonly signer: HotkeyPair;
  readonly runId: string;
  readonly window: number;
  /** θ_w's fingerprint, 64 hex digits. */
  readonly stateFingerprint: string;
  /** Contributors in order: public key and update digest (64 hex digits). */
  readonly contributors: readonly { readonly key: Uint8Array; readonly digest: string }[];
  /** Stand-in body bytes (default 40), filled with `bodyFill` (default 0): different bodies, different objects. */
  readonly bodyBytes?: number;
  readonly bodyFill?: number;
}

/** A signed aggregate envelope for tests (see the module comment). */
export function fixtureAggregate(f: AggregateFixture): Uint8Array {
  const body = f.bodyBytes ?? 40;
  const length = 192 + 4 + 64 * f.contributors.length + body + 96;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out.set([0x43, 0x48, 0x52, 0x54, 0x41, 2]); // magic, kind A, version 2
  view.setBigUint64(16, BigInt(f.window), true);
  out.set(new TextEncoder().encode(f.runId), 24);
  out.set(f.signer.publicKey, 56);
  out.set(Buffer.from(f.stateFingerprint, 'hex'), 120);
  view.setBigUint64(184, BigInt(length), true);
  view.setUint32(192, f.contributors.length, true);
  f.contributors.forEach((c, i) => {
    out.set(c.key, 196 + 64 * i);
    out.set(Buffer.from(c.digest, 'hex'), 196 + 64 * i + 32);
  });
  const bodyAt = 196 + 64 * f.contributors.length;
  out.fill(f.bodyFill ?? 0, bodyAt, bodyAt + body);
  const digest = blake2b256(out.subarray(0, length - 96));
  out.set(digest, length - 96);
  out.set(signDigest(digest, f.signer), length - 64);
  return out;
}
