/**
 * A hostile payload the codec cannot reject alone: a well-formed update of the right run, window and
 * state, signed by its hotkey, but encoded for another model (one 64 × 64 tensor). Only a receiver that
 * expects the run's model fingerprint refuses it (WRONG_MODEL, ADR 0023).
 */
import type { HotkeyPair } from '@cohort/core';
import { encodeUpdate, signObject } from '@cohort/native';

/** The signed foreign-model update of `pair` for `runId`, `window`, computed "from" `stateFingerprint`. */
export async function foreignModelUpdate(
  runId: string,
  window: number,
  pair: HotkeyPair,
  stateFingerprint: Uint8Array,
): Promise<Uint8Array> {
  const { bytes } = await encodeUpdate(
    [{ name: 'w', shape: [64, 64], data: new Float32Array(64 * 64).fill(0.01) }],
    { runId, window, hotkey: pair.publicKey, stateFingerprint, dataReceipt: new Uint8Array(32) },
    { tileSide: 64, topk: 16, indexCoding: 'rice' },
  );
  signObject(bytes, pair);
  return bytes;
}
