/**
 * The contributor list of an aggregate object read straight from its bytes (docs/wire-format.md §4:
 * after the 192-byte fixed header, `u32 count`, then per contributor its 32-byte hotkey and the 32-byte
 * trailer hash of its update). For GetAggregate on aggregates this process did not build itself (replayed
 * after a restart): no decode of the body, which can be large.
 */
import { encodeSs58 } from '@cohort/core';

import type { ContributorRecord } from './published.js';

const FIXED_HEADER_BYTES = 192;
const KIND_OFFSET = 4;
const KIND_AGGREGATE = 0x41;
const ENTRY_BYTES = 64;

/** The contributors an aggregate names, or undefined when the bytes are not an aggregate's. */
export function aggregateContributors(object: Uint8Array): ContributorRecord[] | undefined {
  if (object.length < FIXED_HEADER_BYTES + 4 || object[KIND_OFFSET] !== KIND_AGGREGATE) return undefined;
  const view = new DataView(object.buffer, object.byteOffset, object.byteLength);
  const count = view.getUint32(FIXED_HEADER_BYTES, true);
  const start = FIXED_HEADER_BYTES + 4;
  if (count === 0 || start + count * ENTRY_BYTES > object.length) return undefined;
  const out: ContributorRecord[] = [];
  for (let i = 0; i < count; i++) {
    const at = start + i * ENTRY_BYTES;
    out.push({
      hotkey: encodeSs58(object.slice(at, at + 32)),
      payloadBlake2b256: object.slice(at + 32, at + ENTRY_BYTES),
    });
  }
  return out;
}
