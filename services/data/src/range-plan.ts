/**
 * Which byte ranges to fetch for a set of missing samples of one shard: pure, so the request pattern a
 * worker sends to the object store is unit-tested. Samples drawn by the page sampler are scattered, so
 * nearby ones are fetched together when the gap between them is small (the gap samples come along and
 * are verified and kept like the rest), and no range exceeds a byte budget.
 */

/** A run of whole samples: `[first, first + count)`. */
export interface SampleRange {
  readonly first: number;
  readonly count: number;
}

/** Limits of {@link planRanges}, in samples. */
export interface RangePlanLimits {
  /** Most samples in one range (at least 1). */
  readonly maxSamples: number;
  /** Largest run of unwanted samples a range may span to join two wanted ones (0: only adjacent). */
  readonly maxGap: number;
}

/**
 * Cover the wanted samples (any order, duplicates allowed) with as few ranges as the limits allow,
 * in ascending order. Every wanted sample is in exactly one range; a range starts and ends on a wanted
 * sample.
 */
export function planRanges(wanted: Iterable<number>, limits: RangePlanLimits): SampleRange[] {
  const maxSamples = Math.max(1, Math.floor(limits.maxSamples));
  const maxGap = Math.max(0, Math.floor(limits.maxGap));
  const sorted = [...new Set(wanted)].sort((a, b) => a - b);
  const out: SampleRange[] = [];
  let first = -1;
  let last = -1;
  for (const sample of sorted) {
    if (first >= 0 && sample - last - 1 <= maxGap && sample - first + 1 <= maxSamples) {
      last = sample;
      continue;
    }
    if (first >= 0) out.push({ first, count: last - first + 1 });
    first = sample;
    last = sample;
  }
  if (first >= 0) out.push({ first, count: last - first + 1 });
  return out;
}
