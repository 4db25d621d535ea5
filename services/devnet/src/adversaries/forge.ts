/**
 * Rewriting someone else's update object as your own, the way a cheater would: the fixed header's hotkey
 * (offset 56) and data receipt (offset 152) replaced (the window, offset 16, too for a stale update) (docs/wire-format.md §4), the trailer's BLAKE2b-256
 * of header + body recomputed, and the object signed with the cheater's key. The result is a well-formed,
 * correctly signed update — only the Gauntlet's checks (window, state, receipt, overlap) can catch it.
 */
import { blake2b256 } from '@cohort/core';
import type { HotkeyPair } from '@cohort/core';
import { signObject } from '@cohort/native';

const WINDOW_OFFSET = 16;
const HOTKEY_OFFSET = 56;
const RECEIPT_OFFSET = 152;
const TRAILER_BYTES = 96;

/**
 * A copy of `object` claiming to be `pair`'s update with data receipt `receipt` (and, when given, for
 * `window` instead of its own).
 */
export function forgeUpdate(
  object: Uint8Array,
  pair: HotkeyPair,
  receipt: Uint8Array,
  window?: number,
): Uint8Array {
  const copy = Uint8Array.from(object);
  if (window !== undefined)
    new DataView(copy.buffer, copy.byteOffset).setBigUint64(WINDOW_OFFSET, BigInt(window), true);
  copy.set(pair.publicKey, HOTKEY_OFFSET);
  copy.set(receipt, RECEIPT_OFFSET);
  copy.set(blake2b256(copy.subarray(0, copy.length - TRAILER_BYTES)), copy.length - TRAILER_BYTES);
  signObject(copy, pair);
  return copy;
}
