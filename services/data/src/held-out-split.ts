/**
 * Which documents go to the held-out split. The split is by document, so no held-out text is ever
 * trained on, and it is a seeded draw with the protocol's portable sampler, so anyone can recompute it
 * from (documents, fraction, seed) alone.
 */
import { deriveKey, drawDistinct } from '@cohort/core';

/** Domain string of the held-out draw's key. */
export const HELD_OUT_DOMAIN = 'cohort/held-out';

/**
 * The number of held-out documents: `floor(fraction × documents + 0.5)` (round half up), so 10% of
 * 500 Brown documents is exactly 50.
 */
export function heldOutCount(documents: number, fraction: number): number {
  return Math.min(documents, Math.floor(fraction * documents + 0.5));
}

/**
 * The indices (in corpus order, from 0) of the held-out documents: {@link heldOutCount} distinct
 * indices drawn by Floyd's algorithm under key `deriveKey(["cohort/held-out", u64 seed])`.
 */
export function heldOutDocuments(documents: number, fraction: number, seed: number): ReadonlySet<number> {
  const key = deriveKey([HELD_OUT_DOMAIN, BigInt(seed)]);
  return new Set(drawDistinct(key, documents, heldOutCount(documents, fraction)));
}
