/**
 * One window of the Gauntlet's scoring (protocol §5), pure and deterministic given the measurements: per
 * peer state in, per peer state and an explanation record out. For every peer the validator looked at
 * this window, its verdict is either `scored` (a valid payload, in sync, with the right data receipt,
 * and four losses) or a fault with a reason code.
 *
 * - Scored peers: gradient score and binary indicator from the losses; binary EMA; one OpenSkill
 *   Plackett-Luce match over all scored peers of the window, ranked by gradient score (β 7, τ 0.1);
 *   final = max(0, ordinal + ordinalShift) × max(0, binary EMA). A copier (score-copiers.ts) is
 *   scored, then zeroed; so is an update the quality checks flag (score-quality.ts: NORM_OUTLIER,
 *   HARMFUL, NO_GAIN, LAZY — each also zeroes the binary EMA).
 * - Faults, each a multiplicative penalty on a positive final score (and on the binary EMA where the
 *   policy says so): MISSING, EARLY, LATE (×0.75 by default), INVALID, OUT_OF_SYNC, RECEIPT_MISMATCH,
 *   COPIER (×0), INACTIVE (×0.75 per window, state reset after `inactiveResetWindows`).
 * - A peer only answers for its own payload. Fixes of the reference (templar.md, weak points): nobody is
 *   multiplied by 0 because *other* peers failed; a data-receipt mismatch is a penalty, not a log line;
 *   sync is the state fingerprint of θ_w, not two published scalars; inactivity counts chain windows;
 *   and the ordinal is shifted by the prior's μ (25) before the product, because OpenSkill's ordinal
 *   μ − 3σ is negative for the lower-ranked half of a small field for many windows — the reference then
 *   gives honest but slower miners a negative score, ranked below a cheater zeroed by a penalty.
 */
import { ordinal, rate, rating } from 'openskill';

import { InvalidArgumentError } from './errors.js';
import { DEFAULT_QUALITY_POLICY, QUALITY_REASONS, judgeQuality } from './score-quality.js';
import type { QualityPolicy, QualityReason } from './score-quality.js';
import { binaryIndicator, checkMeasurement, emaStep, gradientScore } from './score-signals.js';
import type { LossMeasurement } from './score-signals.js';

/** Why a peer's window was penalised. */
export const PENALTY_REASONS = [
  'MISSING',
  'EARLY',
  'LATE',
  'INVALID',
  'OUT_OF_SYNC',
  'RECEIPT_MISMATCH',
  'COPIER',
  'INACTIVE',
  'NORM_OUTLIER',
  'HARMFUL',
  'NO_GAIN',
  'LAZY',
] as const;
export type PenaltyReason = (typeof PENALTY_REASONS)[number];

/** How each penalty acts: the factor on a positive final score, and whether the binary EMA shrinks too. */
export interface ScoringPolicy {
  readonly binaryEmaAlpha: number;
  readonly openskillBeta: number;
  readonly openskillTau: number;
  /** Added to the ordinal before it multiplies the binary EMA (the prior's μ: a newcomer starts at 25). */
  readonly ordinalShift: number;
  readonly factors: Readonly<Record<PenaltyReason, number>>;
  /** Penalties that also multiply the binary EMA (so a repeat offender's trust decays). */
  readonly emaPenalties: readonly PenaltyReason[];
  /** Consecutive inactive windows after which a peer's state is reset to the prior. */
  readonly inactiveResetWindows: number;
  /** Thresholds of the quality checks on measured updates (score-quality.ts). */
  readonly quality: QualityPolicy;
}

/** The protocol's defaults. */
export const DEFAULT_SCORING_POLICY: ScoringPolicy = Object.freeze({
  binaryEmaAlpha: 0.05,
  openskillBeta: 7,
  openskillTau: 0.1,
  ordinalShift: 25,
  factors: Object.freeze({
    MISSING: 0.75,
    EARLY: 0.75,
    LATE: 0.75,
    INVALID: 0,
    OUT_OF_SYNC: 0,
    RECEIPT_MISMATCH: 0,
    COPIER: 0,
    INACTIVE: 0.75,
    NORM_OUTLIER: 0,
    HARMFUL: 0,
    NO_GAIN: 0,
    LAZY: 0,
  }),
  emaPenalties: Object.freeze([
    'MISSING',
    'EARLY',
    'LATE',
    'INACTIVE',
    'NORM_OUTLIER',
    'HARMFUL',
    'NO_GAIN',
    'LAZY',
  ] as PenaltyReason[]),
  inactiveResetWindows: 3,
  quality: DEFAULT_QUALITY_POLICY,
});

/** A peer's running score state. */
export interface PeerScoreState {
  readonly mu: number;
  readonly sigma: number;
  readonly binaryEma: number;
  readonly finalScore: number;
  readonly inactiveWindows: number;
  /** Specific margins of its last scored windows, oldest first (the LAZY check, score-quality.ts). */
  readonly recentMargins: readonly number[];
}

/** The state of a peer never seen before: OpenSkill's prior, no trust, no score. */
export function initialPeerState(): PeerScoreState {
  const prior = rating();
  return {
    mu: prior.mu,
    sigma: prior.sigma,
    binaryEma: 0,
    finalScore: 0,
    inactiveWindows: 0,
    recentMargins: [],
  };
}

const NUMERIC_STATE_KEYS = ['mu', 'sigma', 'binaryEma', 'finalScore', 'inactiveWindows'] as const;

/** Whether two states are the same, field by field and bit for bit (margins element-wise). */
export function samePeerState(x: PeerScoreState, y: PeerScoreState): boolean {
  return (
    NUMERIC_STATE_KEYS.every((k) => Object.is(x[k], y[k])) &&
    x.recentMargins.length === y.recentMargins.length &&
    x.recentMargins.every((m, i) => Object.is(m, y.recentMargins[i]))
  );
}

/** Whether `v` has the shape of a {@link PeerScoreState} (finite numbers; margins in [−1, 1]). */
export function isPeerScoreState(v: unknown): v is PeerScoreState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    NUMERIC_STATE_KEYS.every((k) => typeof s[k] === 'number' && Number.isFinite(s[k])) &&
    Array.isArray(s.recentMargins) &&
    s.recentMargins.length <= 64 &&
    s.recentMargins.every((m: unknown) => typeof m === 'number' && m >= -1 && m <= 1)
  );
}

/** What the validator established about one peer this window. */
export type PeerVerdict =
  | {
      readonly kind: 'scored';
      readonly losses: LossMeasurement;
      /** L2 norm of the update's dequantized values (the NORM_OUTLIER check); absent: not checked. */
      readonly norm?: number;
      /**
       * The smallest factor the window's clip references scaled a tensor of the update by before the
       * losses were measured (1: nothing clipped; ADR 0023); absent: not reported. For the reader only:
       * the score uses the losses.
       */
      readonly clipFactor?: number;
    }
  | { readonly kind: 'fault'; readonly reason: FaultReason };

/** Penalties a verdict can carry by itself (COPIER and the quality reasons come from the scoring). */
export type FaultReason = Exclude<PenaltyReason, 'COPIER' | QualityReason>;

/** Every {@link FaultReason}. */
export const FAULT_REASONS: readonly FaultReason[] = PENALTY_REASONS.filter(
  (r): r is FaultReason => r !== 'COPIER' && !(QUALITY_REASONS as readonly string[]).includes(r),
);

type ScoredVerdict = Extract<PeerVerdict, { kind: 'scored' }>;

/** One peer's explanation record for the window (what `cohort explain` recomputes). */
export interface ScoreExplanation {
  readonly hotkey: string;
  readonly verdict: PeerVerdict;
  readonly gradientScore: number | null;
  readonly binaryIndicator: 1 | -1 | null;
  readonly before: PeerScoreState;
  readonly after: PeerScoreState;
  readonly ordinal: number;
  readonly penalties: readonly { readonly reason: PenaltyReason; readonly factor: number }[];
  readonly copied: string | null;
}

/** What {@link scoreWindow} returns. */
export interface WindowScores {
  readonly states: ReadonlyMap<string, PeerScoreState>;
  readonly explanations: readonly ScoreExplanation[];
}

const nonNull = <T>(xs: readonly (T | null)[]): T[] => xs.filter((x): x is T => x !== null);

const byHotkey = <T extends { hotkey: string }>(x: T, y: T): number =>
  x.hotkey < y.hotkey ? -1 : x.hotkey > y.hotkey ? 1 : 0;

function penalise(state: PeerScoreState, reason: PenaltyReason, policy: ScoringPolicy): PeerScoreState {
  const factor = policy.factors[reason];
  if (!(factor >= 0 && factor <= 1)) {
    throw new InvalidArgumentError(`the ${reason} factor must be in [0, 1], not ${factor}`, {
      reason: 'SCORE_BAD_POLICY',
    });
  }
  // Only a positive score is reduced: a penalty never turns a negative score into a better one.
  const finalScore = state.finalScore > 0 ? state.finalScore * factor : state.finalScore;
  const binaryEma =
    policy.emaPenalties.includes(reason) && state.binaryEma > 0 ? state.binaryEma * factor : state.binaryEma;
  return { ...state, finalScore, binaryEma };
}

/**
 * Score one window. `previous` holds every known peer's state (missing entries start from the prior);
 * `verdicts` the peers looked at this window; `copiers` the hotkeys flagged by {@link findCopiers};
 * `inactive` the known peers without any payload for the window (not evaluated, not faulted).
 *
 * `registered` (the live validator passes the window's metagraph; a recheck of one record does not)
 * keeps the state bounded by the subnet: the states returned are then only those worth remembering. A
 * peer neither registered nor judged this window (deregistered) is dropped; an inactive peer without a
 * state is left alone (nothing to decay: no explanation, no state); and a state that inactivity resets
 * to the prior is dropped, its explanation still published. Scores are the same either way, since a
 * missing state is the prior: only the inactivity count of a peer that has no score to lose is forgotten.
 */
export function scoreWindow(
  previous: ReadonlyMap<string, PeerScoreState>,
  verdicts: ReadonlyMap<string, PeerVerdict>,
  options: {
    readonly copiers?: ReadonlyMap<string, string>;
    readonly inactive?: readonly string[];
    readonly registered?: readonly string[];
    readonly policy?: ScoringPolicy;
  } = {},
): WindowScores {
  const policy = options.policy ?? DEFAULT_SCORING_POLICY;
  const copiers = options.copiers ?? new Map<string, string>();
  const prune = options.registered !== undefined;
  const states = new Map(previous);
  const stateOf = (hotkey: string): PeerScoreState => previous.get(hotkey) ?? initialPeerState();

  // 1. Signals of the scored peers, in hotkey order (determinism does not depend on map order).
  const scored = [...verdicts]
    .filter((e): e is [string, ScoredVerdict] => e[1].kind === 'scored')
    .map(([hotkey, v]) => ({
      hotkey,
      norm: v.norm,
      losses: checkMeasurement(v.losses),
      gradient: gradientScore(v.losses),
      indicator: binaryIndicator(v.losses),
    }))
    .sort(byHotkey);

  // 2. One Plackett-Luce match over the window's scored peers (nothing to rank with fewer than two).
  const ratings = new Map<string, { mu: number; sigma: number }>();
  if (scored.length >= 2) {
    const teams = scored.map((p) => [{ mu: stateOf(p.hotkey).mu, sigma: stateOf(p.hotkey).sigma }]);
    const rated = rate(teams, {
      score: scored.map((p) => p.gradient),
      beta: policy.openskillBeta,
      tau: policy.openskillTau,
    });
    scored.forEach((p, i) => ratings.set(p.hotkey, rated[i]![0]!));
  }

  // 3. Quality checks of the measured updates (score-quality.ts), against the window's other updates.
  const quality = judgeQuality(
    scored.map((p) => ({
      hotkey: p.hotkey,
      losses: p.losses,
      ...(p.norm === undefined ? {} : { norm: p.norm }),
      recentMargins: stateOf(p.hotkey).recentMargins,
    })),
    policy.quality,
  );

  const explanations: ScoreExplanation[] = [];
  for (const p of scored) {
    const before = stateOf(p.hotkey);
    const r = ratings.get(p.hotkey) ?? { mu: before.mu, sigma: before.sigma };
    const binaryEma = emaStep(before.binaryEma, p.indicator, policy.binaryEmaAlpha);
    const ord = ordinal(r);
    let after: PeerScoreState = {
      mu: r.mu,
      sigma: r.sigma,
      binaryEma,
      finalScore: Math.max(0, ord + policy.ordinalShift) * Math.max(0, binaryEma),
      inactiveWindows: 0,
      recentMargins: quality.get(p.hotkey)!.recentMargins,
    };
    const penalties: { reason: PenaltyReason; factor: number }[] = [];
    const copied = copiers.get(p.hotkey) ?? null;
    const flaws: PenaltyReason[] = [
      ...(copied === null ? [] : (['COPIER'] as const)),
      ...nonNull<QualityReason>([quality.get(p.hotkey)!.reason]),
    ];
    for (const reason of flaws) {
      after = penalise(after, reason, policy);
      penalties.push({ reason, factor: policy.factors[reason] });
    }
    states.set(p.hotkey, after);
    explanations.push({
      hotkey: p.hotkey,
      verdict: verdicts.get(p.hotkey)!,
      gradientScore: p.gradient,
      binaryIndicator: p.indicator,
      before,
      after,
      ordinal: ord,
      penalties,
      copied,
    });
  }

  // 4. Faults: each peer answers for its own payload only.
  for (const [hotkey, v] of [...verdicts].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))) {
    if (v.kind !== 'fault') continue;
    const before = stateOf(hotkey);
    const after = { ...penalise(before, v.reason, policy), inactiveWindows: 0 };
    states.set(hotkey, after);
    explanations.push({
      hotkey,
      verdict: v,
      gradientScore: null,
      binaryIndicator: null,
      before,
      after,
      ordinal: ordinal({ mu: after.mu, sigma: after.sigma }),
      penalties: [{ reason: v.reason, factor: policy.factors[v.reason] }],
      copied: null,
    });
  }

  // 5. Inactivity: decay, then reset to the prior after too many windows in a row.
  for (const hotkey of [...(options.inactive ?? [])].sort()) {
    if (verdicts.has(hotkey)) continue;
    if (prune && !previous.has(hotkey)) continue; // the prior: nothing to decay
    const before = stateOf(hotkey);
    const decayed = penalise(before, 'INACTIVE', policy);
    const count = before.inactiveWindows + 1;
    const reset = count > policy.inactiveResetWindows;
    const after = reset ? initialPeerState() : { ...decayed, inactiveWindows: count };
    if (reset && prune) states.delete(hotkey);
    else states.set(hotkey, after);
    explanations.push({
      hotkey,
      verdict: { kind: 'fault', reason: 'INACTIVE' },
      gradientScore: null,
      binaryIndicator: null,
      before,
      after,
      ordinal: ordinal({ mu: after.mu, sigma: after.sigma }),
      penalties: [{ reason: 'INACTIVE', factor: policy.factors.INACTIVE }],
      copied: null,
    });
  }

  // 6. Deregistered peers: forgotten (a hotkey registered again starts from the prior).
  if (prune) {
    const keep = new Set([...(options.registered ?? []), ...verdicts.keys()]);
    for (const hotkey of [...states.keys()]) if (!keep.has(hotkey)) states.delete(hotkey);
  }
  return { states, explanations };
}
