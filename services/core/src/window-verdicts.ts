/**
 * From what a validator observed in a window to the verdicts {@link scoreWindow} takes (protocol §1, §5):
 * when each update was first seen against the upload slot, and what the evaluators measured.
 *
 * - First seen before the slot opened: EARLY; after it closed: LATE (both count as not delivered, and
 *   neither is evaluated — an early object could not have been trained on θ_w in time; a late one was
 *   not there for the aggregator).
 * - In the slot: evaluated; the evaluator's fault (INVALID, OUT_OF_SYNC, RECEIPT_MISMATCH, MISSING when
 *   the object vanished) becomes the verdict, its losses otherwise.
 * - An evaluation that failed for the evaluator's own reasons (EVALUATOR_FAILED) is no verdict at all:
 *   never the miner's fault.
 * - A registered peer with nothing this window is inactive (decays, then resets), not faulted.
 */
import type { LossMeasurement } from './score-signals.js';
import type { PeerVerdict } from './score-window.js';

/** What an evaluator reported for one update. */
export type EvaluationOutcome =
  | {
      readonly kind: 'measured';
      readonly losses: LossMeasurement;
      /** L2 norm of the update's values, when the evaluator reported one. */
      readonly norm?: number;
      /** The smallest clip factor applied before measuring (ADR 0023), when the evaluator reported one. */
      readonly clipFactor?: number;
    }
  | { readonly kind: 'fault'; readonly fault: 'MISSING' | 'INVALID' | 'OUT_OF_SYNC' | 'RECEIPT_MISMATCH' }
  /** The evaluator could not score it (EVALUATOR_FAILED): not the miner's doing. */
  | { readonly kind: 'evaluator_failed'; readonly detail: string };

/** The window's observations. */
export interface WindowObservations {
  /** Every hotkey registered on the subnet (the peers to account for). */
  readonly registered: readonly string[];
  /** First-seen time (validator's clock) of each update of the window. */
  readonly firstSeenMs: ReadonlyMap<string, number>;
  readonly slot: { readonly openMs: number; readonly closeMs: number };
  /** Evaluations of the updates seen in the slot (absent: not evaluated yet / lost). */
  readonly evaluations: ReadonlyMap<string, EvaluationOutcome>;
}

/** Verdicts, the peers to evaluate, and the inactive ones. */
export interface WindowVerdicts {
  readonly verdicts: Map<string, PeerVerdict>;
  /** Seen in the slot: the updates to send to evaluators. */
  readonly inSlot: readonly string[];
  readonly inactive: readonly string[];
  /** In the slot but without a usable evaluation (evaluator failure or none in time): no verdict. */
  readonly unjudged: readonly string[];
}

/** Classify the window's peers; pure. */
export function windowVerdicts(o: WindowObservations): WindowVerdicts {
  const verdicts = new Map<string, PeerVerdict>();
  const inSlot: string[] = [];
  const inactive: string[] = [];
  const unjudged: string[] = [];
  const peers = [...new Set([...o.registered, ...o.firstSeenMs.keys()])].sort();
  for (const hotkey of peers) {
    const seen = o.firstSeenMs.get(hotkey);
    if (seen === undefined) {
      if (o.registered.includes(hotkey)) inactive.push(hotkey);
      continue;
    }
    if (seen < o.slot.openMs) {
      verdicts.set(hotkey, { kind: 'fault', reason: 'EARLY' });
      continue;
    }
    if (seen > o.slot.closeMs) {
      verdicts.set(hotkey, { kind: 'fault', reason: 'LATE' });
      continue;
    }
    inSlot.push(hotkey);
    const e = o.evaluations.get(hotkey);
    if (e === undefined || e.kind === 'evaluator_failed') {
      unjudged.push(hotkey);
    } else if (e.kind === 'fault') {
      verdicts.set(hotkey, { kind: 'fault', reason: e.fault });
    } else {
      verdicts.set(hotkey, {
        kind: 'scored',
        losses: e.losses,
        ...(e.norm === undefined ? {} : { norm: e.norm }),
        ...(e.clipFactor === undefined ? {} : { clipFactor: e.clipFactor }),
      });
    }
  }
  return { verdicts, inSlot, inactive, unjudged };
}
