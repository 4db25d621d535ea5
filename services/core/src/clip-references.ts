/**
 * The Gauntlet's median-norm clip (protocol §5): a miner's update is measured as the window's aggregate
 * would apply it, each tensor clipped to the window's median norm of that tensor. Without it an update
 * scaled up a few times (below the NORM_OUTLIER bound) is measured at its full size and can win a larger
 * loss gain than the clipped step it contributes to the aggregate: a score bought by scaling, not by work.
 *
 * The evaluators report each update's per-tensor L2 norms (`ScoreResult.tensor_norms`) from its sample
 * job; the validator takes their per-tensor lower medians ({@link clipReferences}) into the score jobs
 * (`ScoreJob.clip_norms`); an evaluator scales tensor t by {@link clipFactor}. The aggregate's own rule
 * (native/src/codec/aggregate.cc) is the same: lower median, min(1, reference / (norm + 1e-8)).
 */

/** The ε of the clip factor's denominator (the aggregate's, so a norm of zero divides safely). */
export const CLIP_EPSILON = 1e-8;

/** The factor that clips a tensor of norm `norm` to `reference`: min(1, reference / (norm + ε)). */
export function clipFactor(norm: number, reference: number): number {
  return Math.min(1, reference / (norm + CLIP_EPSILON));
}

/**
 * The smallest factor the references clip any tensor of an update by (1 when none is clipped, or when
 * there are no references). `norms` and `references` are per tensor, in the tensor table's order.
 */
export function smallestClipFactor(norms: readonly number[], references: readonly number[]): number {
  if (references.length === 0) return 1;
  let smallest = 1;
  norms.forEach((norm, t) => {
    const reference = references[t];
    if (reference !== undefined) smallest = Math.min(smallest, clipFactor(norm, reference));
  });
  return smallest;
}

const usable = (norms: readonly number[]): boolean =>
  norms.length > 0 && norms.every((n) => Number.isFinite(n) && n >= 0);

/** The window's clip references and how many updates' norms set them. */
export interface ClipReferences {
  /** Per tensor, in the tensor table's order; empty when no norm list was usable (measured unclipped). */
  readonly references: number[];
  /** How many norm lists the medians were taken over. */
  readonly from: number;
}

/**
 * Per tensor, the lower median of the updates' norms (`norms`: one list per update, per tensor in the
 * tensor table's order). Lists that are empty or hold a negative or non-finite value are ignored, and so
 * are lists of another length than the most common one (ties: the longer): every valid update of a run
 * has one tensor table, so a list of another length is not a norm vector of this model. Deterministic:
 * the median does not depend on the lists' order.
 */
export function clipReferences(norms: Iterable<readonly number[]>): ClipReferences {
  const lists = [...norms].filter(usable);
  const counts = new Map<number, number>();
  for (const list of lists) counts.set(list.length, (counts.get(list.length) ?? 0) + 1);
  let length = 0;
  let best = 0;
  for (const [len, count] of counts) {
    if (count > best || (count === best && len > length)) [length, best] = [len, count];
  }
  const same = lists.filter((l) => l.length === length);
  const references = Array.from({ length }, (_, t) => {
    const column = same.map((l) => l[t] as number).sort((a, b) => a - b);
    return column[(column.length - 1) >> 1] as number;
  });
  return { references, from: same.length };
}
