/**
 * Explanation records (protocol §5): every score a validator gives is published as
 * `scores/<w>/<hotkey>.json` with everything needed to recompute it — the peer's verdict and state
 * before, the window's OpenSkill match (each participant's state before and losses, since one peer's
 * rating change depends on the whole match), a copier finding, and the policy. {@link recheckScoreRecord}
 * re-runs {@link scoreWindow} on exactly those inputs and says whether the published result follows;
 * `cohort explain` is a thin shell around it.
 */
import { CohortError, Code } from './errors.js';
import {
  DEFAULT_SCORING_POLICY,
  FAULT_REASONS,
  isPeerScoreState,
  samePeerState,
  scoreWindow,
} from './score-window.js';
import type {
  PeerScoreState,
  PeerVerdict,
  ScoreExplanation,
  ScoringPolicy,
  WindowScores,
} from './score-window.js';

/** The record format this module writes and reads. */
export const SCORE_RECORD_FORMAT = 'cohort-score/2';
/** Largest record accepted (a match of a few thousand peers). */
export const MAX_SCORE_RECORD_BYTES = 4 * 1024 * 1024;

/** One participant of the window's match, as it entered it. */
export interface MatchEntry {
  readonly hotkey: string;
  readonly before: PeerScoreState;
  readonly verdict: PeerVerdict;
}

/** `scores/<w>/<hotkey>.json`. */
export interface ScoreRecord {
  readonly format: typeof SCORE_RECORD_FORMAT;
  readonly runId: string;
  readonly window: number;
  readonly validator: string;
  /**
   * The window's evaluation seed (64 hex digits, ADR 0025): with it anyone recomputes the pages the
   * update was measured on (core evaluationPages). Absent: the public draw was used.
   */
  readonly evaluationSeed?: string;
  readonly explanation: ScoreExplanation;
  /** Every scored peer of the window (the match), this one included when it was scored. */
  readonly match: readonly MatchEntry[];
  /** True when the peer was scored as inactive this window. */
  readonly inactive: boolean;
  readonly policy: ScoringPolicy;
}

/** A refused record. */
export class ScoreRecordError extends CohortError {
  override readonly name: string = 'ScoreRecordError';
  constructor(message: string) {
    super(Code.InvalidArgument, message, { reason: 'SCORE_RECORD_INVALID' });
  }
}

/** The records of one scored window, one per explained peer. */
export function buildScoreRecords(
  context: {
    readonly runId: string;
    readonly window: number;
    readonly validator: string;
    readonly evaluationSeed?: string;
  },
  verdicts: ReadonlyMap<string, PeerVerdict>,
  scores: WindowScores,
  inactive: readonly string[] = [],
  policy: ScoringPolicy = DEFAULT_SCORING_POLICY,
): ScoreRecord[] {
  const match: MatchEntry[] = scores.explanations
    .filter((e) => e.verdict.kind === 'scored')
    .map((e) => ({ hotkey: e.hotkey, before: e.before, verdict: e.verdict }));
  const inactiveSet = new Set(inactive);
  return scores.explanations.map((explanation) => ({
    format: SCORE_RECORD_FORMAT,
    ...context,
    explanation,
    match,
    inactive: inactiveSet.has(explanation.hotkey) && !verdicts.has(explanation.hotkey),
    policy,
  }));
}

/** Serialize a record (JSON). */
export function encodeScoreRecord(record: ScoreRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(record));
}

const isVerdict = (v: unknown): v is PeerVerdict => {
  if (typeof v !== 'object' || v === null) return false;
  const x = v as Record<string, unknown>;
  if (x.kind === 'fault')
    return typeof x.reason === 'string' && (FAULT_REASONS as readonly string[]).includes(x.reason);
  if (x.kind !== 'scored' || typeof x.losses !== 'object' || x.losses === null) return false;
  if (x.norm !== undefined && !(typeof x.norm === 'number' && Number.isFinite(x.norm) && x.norm >= 0))
    return false;
  if (
    x.clipFactor !== undefined &&
    !(typeof x.clipFactor === 'number' && x.clipFactor >= 0 && x.clipFactor <= 1)
  )
    return false;
  const l = x.losses as Record<string, unknown>;
  return ['assignedBefore', 'assignedAfter', 'randomBefore', 'randomAfter'].every(
    (k) => typeof l[k] === 'number' && Number.isFinite(l[k]),
  );
};

/** Parse a record from a bucket, checking the shape of everything {@link recheckScoreRecord} reads. */
export function parseScoreRecord(bytes: Uint8Array): ScoreRecord {
  if (bytes.length > MAX_SCORE_RECORD_BYTES)
    throw new ScoreRecordError(`a record of ${bytes.length} bytes is too large`);
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown>;
  } catch {
    throw new ScoreRecordError('a score record must be UTF-8 JSON');
  }
  if (typeof v !== 'object' || v === null || v.format !== SCORE_RECORD_FORMAT) {
    throw new ScoreRecordError(`the format must be "${SCORE_RECORD_FORMAT}"`);
  }
  const e = v.explanation as Record<string, unknown> | undefined;
  if (
    typeof v.runId !== 'string' ||
    typeof v.window !== 'number' ||
    typeof v.validator !== 'string' ||
    typeof e !== 'object' ||
    e === null ||
    typeof e.hotkey !== 'string' ||
    !isVerdict(e.verdict) ||
    !isPeerScoreState(e.before) ||
    !isPeerScoreState(e.after) ||
    !Array.isArray(v.match) ||
    !v.match.every((m: unknown) => {
      const x = m as Record<string, unknown> | null;
      return (
        x !== null &&
        typeof x === 'object' &&
        typeof x.hotkey === 'string' &&
        isPeerScoreState(x.before) &&
        isVerdict(x.verdict)
      );
    }) ||
    typeof v.inactive !== 'boolean' ||
    typeof v.policy !== 'object' ||
    v.policy === null ||
    (v.evaluationSeed !== undefined &&
      !(typeof v.evaluationSeed === 'string' && /^[0-9a-f]{64}$/.test(v.evaluationSeed)))
  ) {
    throw new ScoreRecordError('the record lacks a field or has one of the wrong type');
  }
  return v as unknown as ScoreRecord;
}

/** What {@link recheckScoreRecord} found. */
export interface RecheckResult {
  readonly matches: boolean;
  /** The state the inputs lead to. */
  readonly recomputed: PeerScoreState | undefined;
  readonly published: PeerScoreState;
  readonly detail: string;
}

/** Re-run the window's scoring on the record's inputs and compare with the published result. */
export function recheckScoreRecord(record: ScoreRecord): RecheckResult {
  const { explanation: e } = record;
  const previous = new Map<string, PeerScoreState>(record.match.map((m) => [m.hotkey, m.before]));
  previous.set(e.hotkey, e.before);
  const verdicts = new Map<string, PeerVerdict>(record.match.map((m) => [m.hotkey, m.verdict]));
  if (!record.inactive) verdicts.set(e.hotkey, e.verdict);
  const copiers = e.copied === null ? new Map<string, string>() : new Map([[e.hotkey, e.copied]]);
  let recomputed: PeerScoreState | undefined;
  try {
    const out = scoreWindow(previous, verdicts, {
      copiers,
      inactive: record.inactive ? [e.hotkey] : [],
      policy: record.policy,
    });
    recomputed = out.states.get(e.hotkey);
  } catch (error) {
    return {
      matches: false,
      recomputed: undefined,
      published: e.after,
      detail: `the inputs do not score: ${String(error)}`,
    };
  }
  const same = recomputed !== undefined && samePeerState(recomputed, e.after);
  return {
    matches: same,
    recomputed,
    published: e.after,
    detail: same
      ? 'the published score follows from its inputs'
      : 'the published score differs from what its inputs give',
  };
}
