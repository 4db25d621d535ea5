/**
 * Quality checks of the Gauntlet (protocol §5.4, ADR 0012): what is wrong with a well-formed, in-sync
 * update that was measured. Templar only feeds these signals into slow averages (an update that does
 * nothing or harm just ranks low for many windows); a validator that must name every cheater within a
 * few windows flags them, with a reason, in the window they show:
 *
 * - `NORM_OUTLIER`: the update's L2 norm is above `normOutlierFactor` × the window's median norm
 *   (poisoning by scale; the aggregator's median-norm clip would blunt it, the scoring names it).
 * - `HARMFUL`: it makes the loss worse on its own pages *and* on control pages, each by more than
 *   `gainFraction` of the window's typical gain (sign-flipped or otherwise adversarial updates).
 * - `NO_GAIN`: it improves neither by `gainFraction` of the typical gain (zero updates, random
 *   valid-format payloads).
 * - `LAZY`: it improves its own pages no more than control pages — the mean of its specific margin
 *   (own gain − control gain) / own gain over its last `lazyWindows` scored windows is below
 *   `lazyMargin` (trained on other pages than assigned; the data receipt cannot prove training).
 *
 * "Typical gain" is the lower median of the window's positive gains (own pages and control pages
 * apart), so updates that do nothing or harm cannot drag it down; the LAZY margin is relative to the
 * peer's own gain, so no other peer can move it. Pure and deterministic: `cohort explain` recomputes it.
 */
import { InvalidArgumentError } from './errors.js';
import { checkMeasurement, gradientScore as controlGain, ownGain } from './score-signals.js';
import type { LossMeasurement } from './score-signals.js';

/** Reasons of {@link judgeQuality}, in the order they are tested (the first that applies is given). */
export const QUALITY_REASONS = ['NORM_OUTLIER', 'HARMFUL', 'NO_GAIN', 'LAZY'] as const;
export type QualityReason = (typeof QUALITY_REASONS)[number];

/** Thresholds of the quality checks. */
export interface QualityPolicy {
  /** An update whose norm exceeds this multiple of the window's median norm is an outlier. */
  readonly normOutlierFactor: number;
  /** Fraction of the typical gain below which an update did nothing (or, negated, did harm). */
  readonly gainFraction: number;
  /** Mean specific margin under which an update is lazy. */
  readonly lazyMargin: number;
  /** Scored windows the lazy margin is averaged over (this one included). */
  readonly lazyWindows: number;
}

/** The protocol's defaults (measured on the devnet model: docs/adr/0012-quality-penalties.md). */
export const DEFAULT_QUALITY_POLICY: QualityPolicy = Object.freeze({
  normOutlierFactor: 10,
  gainFraction: 0.25,
  lazyMargin: 0.15,
  lazyWindows: 3,
});

/** One measured update of the window. */
export interface QualityInput {
  readonly hotkey: string;
  readonly losses: LossMeasurement;
  /** L2 norm of the update's dequantized values; absent: the norm check is skipped for it. */
  readonly norm?: number;
  /** The peer's specific margins of its previous scored windows, oldest first. */
  readonly recentMargins: readonly number[];
}

/** The verdict on one update. */
export interface QualityVerdict {
  readonly reason: QualityReason | null;
  /** This window's specific margin, in [−1, 1]. */
  readonly margin: number;
  /** The margins to keep (at most `lazyWindows`, this one last). */
  readonly recentMargins: readonly number[];
}

/** Element ⌊(n−1)/2⌋ of the sorted values; 0 when there are none. */
function lowerMedian(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/**
 * The update's specific margin: the part of its own-page gain that control pages do not share, relative
 * to that gain, in [−1, 1]; −1 when it does not improve its own pages at all.
 */
export function specificMargin(m: LossMeasurement): number {
  const own = ownGain(m);
  if (!(own > 0)) return -1;
  return Math.max(-1, Math.min(1, (own - controlGain(m)) / own));
}

/** Check a policy's numbers (it comes from records and config too). */
export function checkQualityPolicy(p: QualityPolicy): QualityPolicy {
  const ok =
    Number.isFinite(p.normOutlierFactor) &&
    p.normOutlierFactor > 1 &&
    Number.isFinite(p.gainFraction) &&
    p.gainFraction >= 0 &&
    p.gainFraction < 1 &&
    Number.isFinite(p.lazyMargin) &&
    p.lazyMargin >= -1 &&
    p.lazyMargin <= 1 &&
    Number.isSafeInteger(p.lazyWindows) &&
    p.lazyWindows >= 1 &&
    p.lazyWindows <= 64;
  if (!ok) {
    throw new InvalidArgumentError(`a quality policy out of range: ${JSON.stringify(p)}`, {
      reason: 'SCORE_BAD_POLICY',
    });
  }
  return p;
}

/** Judge every measured update of one window (see the module comment). */
export function judgeQuality(
  inputs: readonly QualityInput[],
  policy: QualityPolicy = DEFAULT_QUALITY_POLICY,
): Map<string, QualityVerdict> {
  checkQualityPolicy(policy);
  for (const i of inputs) {
    checkMeasurement(i.losses);
    if (i.norm !== undefined && !(Number.isFinite(i.norm) && i.norm >= 0)) {
      throw new InvalidArgumentError(`the norm of ${i.hotkey}'s update must be finite and ≥ 0`, {
        reason: 'SCORE_BAD_NORM',
      });
    }
  }
  const norms = inputs.flatMap((i) => (i.norm === undefined ? [] : [i.norm]));
  const medianNorm = lowerMedian(norms);
  const typicalOwn = lowerMedian(inputs.map((i) => ownGain(i.losses)).filter((g) => g > 0));
  const typicalControl = lowerMedian(inputs.map((i) => controlGain(i.losses)).filter((g) => g > 0));
  const f = policy.gainFraction;
  const out = new Map<string, QualityVerdict>();
  for (const i of inputs) {
    const own = ownGain(i.losses);
    const control = controlGain(i.losses);
    const margin = specificMargin(i.losses);
    const recentMargins = [...i.recentMargins, margin].slice(-policy.lazyWindows);
    const meanMargin = recentMargins.reduce((a, b) => a + b, 0) / recentMargins.length;
    let reason: QualityReason | null = null;
    if (i.norm !== undefined && medianNorm > 0 && i.norm > policy.normOutlierFactor * medianNorm) {
      reason = 'NORM_OUTLIER';
    } else if (own < -f * typicalOwn && control < -f * typicalControl) {
      reason = 'HARMFUL';
    } else if (own <= f * typicalOwn && control <= f * typicalControl) {
      reason = 'NO_GAIN';
    } else if (meanMargin < policy.lazyMargin) {
      reason = 'LAZY';
    }
    out.set(i.hotkey, { reason, margin, recentMargins });
  }
  return out;
}
