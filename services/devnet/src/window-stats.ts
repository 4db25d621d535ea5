/**
 * Per-window figures of a devnet run, derived from what the services log (the miners' `window_trained`
 * and `update_uploaded`, the validator's `window_scored`, the aggregator's `aggregate_published`) and
 * from the store's listing: pure, so the live view, the report and their tests read the same numbers.
 */
import { mean } from './devnet-report.js';

/** One log record (the services' JSON lines). */
export type Rec = Readonly<Record<string, unknown>> & { readonly event: string };

/** What happened in one window. */
export interface WindowRow {
  readonly window: number;
  /** Mean over honest miners of the last inner step's loss on their window's pages. */
  readonly trainLoss: number | undefined;
  /** Honest miners' training throughput (tokens/s, summed). */
  readonly tokensPerSecond: number | undefined;
  /** Updates in the store for this window (every miner, honest or not) and their bytes. */
  readonly updates: number;
  readonly updateBytes: number;
  /** The published aggregate's bytes and contributors, when one was published. */
  readonly aggregateBytes: number | undefined;
  readonly contributors: readonly string[];
  /** The validator's final score per hotkey after this window (absent: not scored yet). */
  readonly scores: Readonly<Record<string, number>>;
  /** Reason codes the validator gave per hotkey in this window (faults, copiers, penalties). */
  readonly penalties: Readonly<Record<string, readonly string[]>>;
  readonly scored: boolean;
}

/** Inputs of {@link windowRows}. */
export interface WindowInputs {
  /** Coordinator records of each honest miner, by hotkey. */
  readonly miners: ReadonlyMap<string, readonly Rec[]>;
  readonly validator: readonly Rec[];
  readonly aggregator: readonly Rec[];
  /** Update objects in the store. */
  readonly updates: readonly UpdateObject[];
}

/** One update object in the store: its window, its miner, its size. */
export interface UpdateObject {
  readonly window: number;
  readonly hotkey: string;
  readonly bytes: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Rows for windows `first..last` (inclusive), in order. */
export function windowRows(inputs: WindowInputs, first: number, last: number): WindowRow[] {
  const rows: WindowRow[] = [];
  for (let w = first; w <= last; w++) {
    const losses: number[] = [];
    const speeds: number[] = [];
    for (const recs of inputs.miners.values()) {
      const trained = recs.find((r) => r.event === 'window_trained' && Number(r.window) === w);
      if (trained === undefined) continue;
      const ls = Array.isArray(trained.losses) ? (trained.losses as unknown[]).map(num) : [];
      const lastLoss = ls.filter((x): x is number => x !== undefined).at(-1);
      if (lastLoss !== undefined) losses.push(lastLoss);
      const tps = num(trained.tokensPerSecond);
      if (tps !== undefined) speeds.push(tps);
    }
    const ups = inputs.updates.filter((u) => u.window === w);
    const published = inputs.aggregator.find(
      (r) => r.event === 'aggregate_published' && Number(r.window) === w,
    );
    const scoredRec = inputs.validator.find((r) => r.event === 'window_scored' && Number(r.window) === w);
    const penalties: Record<string, string[]> = {};
    const add = (hotkey: string, reason: string): void => {
      const list = (penalties[hotkey] ??= []);
      if (!list.includes(reason)) list.push(reason);
    };
    if (scoredRec !== undefined) {
      for (const [h, reason] of Object.entries((scoredRec.faults ?? {}) as Record<string, string>))
        add(h, reason);
      for (const h of Object.keys(scoredRec.copiers ?? {})) add(h, 'COPIER');
      for (const [h, rs] of Object.entries((scoredRec.penalties ?? {}) as Record<string, string[]>)) {
        for (const r of rs) add(h, r);
      }
      for (const h of (scoredRec.inactive ?? []) as string[]) add(h, 'INACTIVE');
    }
    rows.push({
      window: w,
      trainLoss: mean(losses),
      tokensPerSecond: speeds.length === 0 ? undefined : speeds.reduce((a, b) => a + b, 0),
      updates: ups.length,
      updateBytes: ups.reduce((a, u) => a + u.bytes, 0),
      aggregateBytes: published === undefined ? undefined : num(published.bytes),
      contributors: published === undefined ? [] : ((published.included ?? []) as string[]),
      scores: scoredRec === undefined ? {} : ((scoredRec.finalScores ?? {}) as Record<string, number>),
      penalties,
      scored: scoredRec !== undefined,
    });
  }
  return rows;
}
