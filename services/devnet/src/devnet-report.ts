/**
 * What a devnet run leaves behind, as data: the shape of the run, the per-window table, held-out loss,
 * who was penalised and why, the weights on chain, the wire ratio and the timings. `report-files.ts`
 * writes it as `report.md`, `report.json` and plots; the end-to-end test reads `report.json`.
 */
import type { DevnetOptions } from './devnet-options.js';
import type { UpdateObject, WindowRow } from './window-stats.js';

/** A miner of the run. */
export interface Participant {
  readonly name: string;
  /** `honest` or `adversary` (its name says which). */
  readonly kind: string;
  readonly hotkey: string;
  readonly uid: number | undefined;
  /** For an adversary: the reason codes the Gauntlet must give it. */
  readonly expected?: string;
}

/** One miner's weight as the validator set it on chain (normalised to sum 1 over the miners). */
export interface WeightRow {
  readonly name: string;
  readonly kind: string;
  readonly uid: number | undefined;
  readonly weight: number;
}

/** How an adversary fared. */
export interface Verdict {
  readonly name: string;
  readonly kind: string;
  readonly expected: string;
  /** The first window its offence was judged in (undefined: it never got to act). */
  readonly actedIn: number | undefined;
  /** The first window the validator penalised or rejected it, and with what. */
  readonly caughtIn: number | undefined;
  readonly reasons: readonly string[];
  /** Windows its update was in the aggregate. */
  readonly aggregatedIn: readonly number[];
}

/** The whole report. */
export interface DevnetReport {
  readonly options: DevnetOptions;
  readonly status: 'completed' | 'interrupted' | 'failed';
  readonly error?: string;
  readonly startedAt: string;
  readonly timings: {
    readonly startupMs: number;
    readonly runMs: number;
    readonly totalMs: number;
    readonly windowMs: number;
  };
  readonly machine: { readonly cores: number; readonly meanCpu: number | undefined };
  readonly model: { readonly preset: string; readonly parameters: number | undefined };
  readonly participants: readonly Participant[];
  readonly rows: readonly WindowRow[];
  /** Held-out loss of θ_w from the first window to the one after the last, null where not measured. */
  readonly heldout: readonly { readonly window: number; readonly loss: number | null }[];
  readonly weights: readonly WeightRow[];
  readonly verdicts: readonly Verdict[];
  readonly wire: {
    readonly denseBytes: number | undefined;
    readonly meanHonestUpdateBytes: number | undefined;
    /** Dense fp32 pseudo-gradient bytes over one honest update's bytes. */
    readonly ratio: number | undefined;
    readonly meanAggregateBytes: number | undefined;
    readonly totalBytes: number;
  };
  /** The exported final checkpoint (Hugging Face layout), relative to the report directory. */
  readonly checkpoint: { readonly window: number; readonly dir: string } | undefined;
}

/** Judge each adversary from the rows: the first window from its first act with a reason against it. */
export function verdictsOf(
  adversaries: readonly (Participant & { readonly actedIn: number | undefined })[],
  rows: readonly WindowRow[],
): Verdict[] {
  return adversaries.map((a) => {
    const from = a.actedIn ?? Number.POSITIVE_INFINITY;
    const hit = rows.find((r) => r.window >= from && (r.penalties[a.hotkey]?.length ?? 0) > 0);
    const reasons = [
      ...new Set(rows.flatMap((r) => (r.window >= from ? (r.penalties[a.hotkey] ?? []) : []))),
    ];
    return {
      name: a.name,
      kind: a.kind,
      expected: a.expected ?? '',
      actedIn: a.actedIn,
      caughtIn: hit?.window,
      reasons: reasons.sort(),
      aggregatedIn: rows.filter((r) => r.contributors.includes(a.hotkey)).map((r) => r.window),
    };
  });
}

/** Weights by uid (raw u16 as on chain) to normalised rows per participant, highest first. */
export function weightRows(
  participants: readonly Participant[],
  byUid: ReadonlyMap<number, number>,
): WeightRow[] {
  const total = [...participants].reduce(
    (a, p) => a + (p.uid === undefined ? 0 : (byUid.get(p.uid) ?? 0)),
    0,
  );
  return participants
    .map((p) => ({
      name: p.name,
      kind: p.kind,
      uid: p.uid,
      weight: total === 0 || p.uid === undefined ? 0 : (byUid.get(p.uid) ?? 0) / total,
    }))
    .sort((a, b) => b.weight - a.weight);
}

/** Mean of `xs`, undefined when empty. */
export function mean(xs: readonly number[]): number | undefined {
  return xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * The wire figures: an honest update's mean size against the dense fp32 pseudo-gradient (`parameters`
 * × 4 bytes), the aggregates' mean size, and everything published.
 */
export function wireFigures(
  updates: readonly UpdateObject[],
  honest: readonly string[],
  rows: readonly WindowRow[],
  parameters: number | undefined,
): DevnetReport['wire'] {
  const meanHonest = mean(updates.filter((u) => honest.includes(u.hotkey)).map((u) => u.bytes));
  const aggregates = rows.map((r) => r.aggregateBytes).filter((b): b is number => b !== undefined);
  const dense = parameters === undefined ? undefined : parameters * 4;
  const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
  return {
    denseBytes: dense,
    meanHonestUpdateBytes: meanHonest,
    ratio: dense === undefined || meanHonest === undefined ? undefined : dense / meanHonest,
    meanAggregateBytes: mean(aggregates),
    totalBytes: sum(updates.map((u) => u.bytes)) + sum(aggregates),
  };
}
