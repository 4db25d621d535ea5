/**
 * Index overlap between two update payloads of one window (protocol §5, copier detection): the share of
 * kept coordinates two miners have in common. Every chunk keeps the same k entries, so the reference's
 * "mean over chunks of |A∩B| / k, weighted by chunks × k" is simply |A ∩ B| / |A| over the whole model;
 * here the denominator is the smaller of the two sets, so a copier who keeps only a subset of its
 * victim's coordinates is not hidden by having fewer of them. Tensors are matched by name; a tensor one
 * side lacks contributes nothing in common.
 */
import type { OverlapPair } from './score-copiers.js';

/** The kept (flat) indices of one tensor of a payload. */
export interface KeptIndices {
  readonly name: string;
  readonly indices: Uint32Array;
}

const sortedCopy = (a: Uint32Array): Uint32Array => Uint32Array.from(a).sort();

/** Count common values of two ascending arrays (duplicates count once per match). */
function commonCount(a: Uint32Array, b: Uint32Array): number {
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      n++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return n;
}

/** A payload's indices prepared for many comparisons (sorted once). */
export interface PreparedIndices {
  readonly byName: ReadonlyMap<string, Uint32Array>;
  readonly total: number;
}

/** Sort each tensor's indices once, for {@link overlapOf} and {@link pairwiseOverlaps}. */
export function prepareIndices(tensors: readonly KeptIndices[]): PreparedIndices {
  const byName = new Map<string, Uint32Array>();
  let total = 0;
  for (const t of tensors) {
    byName.set(t.name, sortedCopy(t.indices));
    total += t.indices.length;
  }
  return { byName, total };
}

/** |A ∩ B| / min(|A|, |B|) over tensors of the same name; 0 when either side keeps nothing. */
export function overlapOf(a: PreparedIndices, b: PreparedIndices): number {
  const denominator = Math.min(a.total, b.total);
  if (denominator === 0) return 0;
  let common = 0;
  for (const [name, ia] of a.byName) {
    const ib = b.byName.get(name);
    if (ib !== undefined) common += commonCount(ia, ib);
  }
  return Math.min(1, common / denominator);
}

/** Every unordered pair of the window's payloads (hotkeys in ascending order), with its overlap. */
export function pairwiseOverlaps(payloads: ReadonlyMap<string, PreparedIndices>): OverlapPair[] {
  const keys = [...payloads.keys()].sort();
  const out: OverlapPair[] = [];
  for (let i = 0; i < keys.length; i++) {
    for (let j = i + 1; j < keys.length; j++) {
      const a = keys[i]!;
      const b = keys[j]!;
      out.push({ a, b, overlap: overlapOf(payloads.get(a)!, payloads.get(b)!) });
    }
  }
  return out;
}
