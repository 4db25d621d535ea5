/**
 * Scores → weights on chain (protocol §7): rank peers by final score (positive only, ties by uid), the
 * top `gatherCount` on a linear `gatherTopRatio`→1 ramp, the next `reserveCount` on a halving geometric
 * series, and `burnShare` to the burn uid. The shares follow the reference (templar.md §3.7): gather
 * gets `gatherShare` of the non-burn weight and reserves the rest, with every reserve weight kept at most
 * half the smallest gather weight. With no positive score, or a burn share of 1, everything goes to the
 * burn uid. Floats out; `normalizeWeightsU16` turns them into what `set_weights` takes.
 */
import { InvalidArgumentError } from './errors.js';

/** The shape of the weights. */
export interface WeightsShape {
  readonly gatherCount: number;
  readonly reserveCount: number;
  readonly gatherTopRatio: number;
  /** Share of the non-burn weight for the gather peers (the rest for reserves). */
  readonly gatherShare: number;
  readonly burnShare: number;
  readonly burnUid: number;
}

/** The protocol's defaults: 20 gather on a 2→1 ramp, 10 reserve, half burned to uid 0 (the owner). */
export const DEFAULT_WEIGHTS_SHAPE: WeightsShape = Object.freeze({
  gatherCount: 20,
  reserveCount: 10,
  gatherTopRatio: 2,
  gatherShare: 0.75,
  burnShare: 0.5,
  burnUid: 0,
});

function check(shape: WeightsShape): void {
  const bad = (what: string): never => {
    throw new InvalidArgumentError(`weights shape: ${what}`, { reason: 'SCORE_BAD_POLICY' });
  };
  if (!Number.isInteger(shape.gatherCount) || shape.gatherCount < 1)
    bad('gatherCount must be a positive integer');
  if (!Number.isInteger(shape.reserveCount) || shape.reserveCount < 0)
    bad('reserveCount must be a non-negative integer');
  if (!(shape.gatherTopRatio >= 1)) bad('gatherTopRatio must be at least 1');
  if (!(shape.gatherShare > 0 && shape.gatherShare <= 1)) bad('gatherShare must be in (0, 1]');
  if (!(shape.burnShare >= 0 && shape.burnShare <= 1)) bad('burnShare must be in [0, 1]');
  if (!Number.isInteger(shape.burnUid) || shape.burnUid < 0 || shape.burnUid > 0xffff)
    bad('burnUid must be a uid');
}

/** A peer's final score by uid. */
export interface UidScore {
  readonly uid: number;
  readonly score: number;
}

/** Weights as floats summing to 1, by uid ascending (the burn uid included when it gets any). */
export function weightsFromScores(
  scores: readonly UidScore[],
  shape: WeightsShape = DEFAULT_WEIGHTS_SHAPE,
): Map<number, number> {
  check(shape);
  const ranked = scores
    .filter((s) => Number.isFinite(s.score) && s.score > 0 && s.uid !== shape.burnUid)
    .sort((a, b) => b.score - a.score || a.uid - b.uid);
  const out = new Map<number, number>();
  // Nothing to share (no positive score, or all of it burned: the ramp below would divide 0 by 0).
  if (ranked.length === 0 || shape.burnShare === 1) {
    out.set(shape.burnUid, 1);
    return out;
  }
  const gather = ranked.slice(0, shape.gatherCount);
  const reserve = ranked.slice(shape.gatherCount, shape.gatherCount + shape.reserveCount);
  const n = gather.length;
  const ramp = gather.map((_, i) =>
    n === 1 ? 1 : shape.gatherTopRatio - ((shape.gatherTopRatio - 1) * i) / (n - 1),
  );
  const rampSum = ramp.reduce((a, b) => a + b, 0);
  const live = 1 - shape.burnShare;
  const gatherTotal = reserve.length === 0 ? live : live * shape.gatherShare;
  const gatherWeights = ramp.map((r) => (r / rampSum) * gatherTotal);
  let reserveWeights = reserve.map((_, i) => 0.5 ** i);
  const reserveSum = reserveWeights.reduce((a, b) => a + b, 0);
  reserveWeights = reserveWeights.map((r) => (r / reserveSum) * (live - gatherTotal));
  const minGather = Math.min(...gatherWeights);
  const maxReserve = reserveWeights.length === 0 ? 0 : Math.max(...reserveWeights);
  if (maxReserve > minGather * 0.5)
    reserveWeights = reserveWeights.map((w) => (w * (minGather * 0.5)) / maxReserve);
  // Renormalise the non-burn weights to exactly 1 − burnShare (the reserve cap may have freed some).
  const liveSum = [...gatherWeights, ...reserveWeights].reduce((a, b) => a + b, 0);
  gather.forEach((p, i) => out.set(p.uid, (gatherWeights[i]! / liveSum) * live));
  reserve.forEach((p, i) => out.set(p.uid, (reserveWeights[i]! / liveSum) * live));
  if (shape.burnShare > 0) out.set(shape.burnUid, shape.burnShare);
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}
