/**
 * The validator role's metrics: what the Grafana validator dashboard and the alerts read (scores,
 * penalties by reason, the run model's loss as the evaluators measured it, selections, weights). Labels
 * are bounded: a reason code, a verdict, or a miner's hotkey / uid (bounded by the subnet's size, 256).
 */
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

import type { WeightsResult } from './weights-plan.js';

/** One scored window, as the loop logs it in `window_scored`. */
export interface ScoredWindow {
  readonly window: number;
  /** Hotkeys by verdict: scored, faulted (with the reason), inactive. */
  readonly scored: readonly string[];
  readonly faults: Readonly<Record<string, string>>;
  readonly inactive: readonly string[];
  /** Uploaded in the slot but left without a verdict (no evaluation in time, or the evaluator failed). */
  readonly unjudged: readonly string[];
  /** The unjudged updates whose sample job answered: still in the copy check (ADR 0018). */
  readonly sampledUnjudged: readonly string[];
  /** Quality penalties (copiers included) by hotkey. */
  readonly penalties: Readonly<Record<string, readonly string[]>>;
  readonly selected: number;
  readonly finalScores: Readonly<Record<string, number>>;
  /** θ_w's loss on random pages, each measured update's evaluation (the run model's loss). */
  readonly modelLosses: readonly number[];
}

/** What the loop reports. */
export interface ValidatorMetrics {
  scored(w: ScoredWindow): void;
  /** A SetWeights answer (or a failure to plan or call it: `failed` with no weights). */
  weightsSet(uids: readonly number[], weights: readonly number[], result: WeightsResult): void;
}

const median = (xs: readonly number[]): number | undefined => {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1]! + s[m]!) / 2;
};

/** Register the validator metrics on `registry` (once per process). */
export function createValidatorMetrics(registry: Registry): ValidatorMetrics {
  const windows = new Counter({
    name: 'cohort_validator_windows_scored_total',
    help: 'Windows the validator scored',
    registers: [registry],
  });
  const lastWindow = new Gauge({
    name: 'cohort_validator_last_scored_window',
    help: 'The last window the validator scored',
    registers: [registry],
  });
  const miners = new Gauge({
    name: 'cohort_validator_miners',
    help: 'Miners in the last scored window by verdict: scored, fault, inactive, unjudged, penalised, selected',
    labelNames: ['verdict'],
    registers: [registry],
  });
  const penalties = new Counter({
    name: 'cohort_validator_penalties_total',
    help: 'Faults and quality penalties given, one per miner and window, by reason code',
    labelNames: ['reason'],
    registers: [registry],
  });
  const unjudged = new Counter({
    name: 'cohort_validator_unjudged_total',
    help: 'Updates uploaded in the slot that got no verdict (no evaluation before the deadline, or the evaluator failed): not scored, not aggregated',
    registers: [registry],
  });
  const unchecked = new Counter({
    name: 'cohort_validator_copy_unchecked_total',
    help: 'Unjudged updates that were not even sampled: outside the copy check, so a copier of one goes free (ADR 0018)',
    registers: [registry],
  });
  const score = new Gauge({
    name: 'cohort_validator_final_score',
    help: "Each miner's final score after the last scored window (miners with a score state that hold a uid: at most the subnet's size)",
    labelNames: ['hotkey'],
    registers: [registry],
  });
  const loss = new Gauge({
    name: 'cohort_validator_model_loss',
    help: "The run model's loss (θ_w on random pages, median over the window's measured updates)",
    registers: [registry],
  });
  const weight = new Gauge({
    name: 'cohort_validator_weight',
    help: 'The weights (u16, as submitted) of the last set_weights or weights commit that landed, by uid',
    labelNames: ['uid'],
    registers: [registry],
  });
  const weightSets = new Counter({
    name: 'cohort_validator_weight_sets_total',
    help: 'set_weights submissions by result: ok (the weights are set), committed (commit-reveal: only the commit landed, the reveal follows), failed',
    labelNames: ['result'],
    registers: [registry],
  });
  return {
    scored(w) {
      windows.inc();
      lastWindow.set(w.window);
      const penalised = Object.keys(w.penalties).length;
      miners.set({ verdict: 'scored' }, w.scored.length);
      miners.set({ verdict: 'fault' }, Object.keys(w.faults).length);
      miners.set({ verdict: 'inactive' }, w.inactive.length);
      miners.set({ verdict: 'unjudged' }, w.unjudged.length);
      unjudged.inc(w.unjudged.length);
      unchecked.inc(w.unjudged.length - w.sampledUnjudged.length);
      miners.set({ verdict: 'penalised' }, penalised);
      miners.set({ verdict: 'selected' }, w.selected);
      for (const reason of Object.values(w.faults)) penalties.inc({ reason });
      for (const reasons of Object.values(w.penalties))
        for (const reason of reasons) penalties.inc({ reason });
      score.reset();
      for (const [hotkey, s] of Object.entries(w.finalScores)) score.set({ hotkey }, s);
      const m = median(w.modelLosses);
      if (m !== undefined) loss.set(m);
    },
    weightsSet(uids, weights, result) {
      weightSets.inc({ result });
      if (result === 'failed') return;
      weight.reset();
      uids.forEach((uid, i) => weight.set({ uid: String(uid) }, weights[i] ?? 0));
    },
  };
}
