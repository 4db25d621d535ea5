/**
 * When the validator stops waiting for the evaluators (protocol §6). The aggregator following this
 * validator waits `selectionWaitMs` after the upload slot closes for `selections/<w>`, then aggregates
 * every valid update without it: a selection that comes later is worthless, and every update the Gauntlet
 * rejected is aggregated. So the evaluation deadline is the earlier of `evaluationTimeoutMs` after the
 * jobs go out and `selectionDeadlineMs` after the slot closes, less a margin for what comes between the
 * deadline and the selection: one more listing of the bucket (late arrivals), the scoring (pure,
 * milliseconds for a subnet's 256 peers) and one store put.
 */

/** The margin before the selection deadline: a tenth of it, at most 5 s. */
export function selectionMarginMs(selectionDeadlineMs: number): number {
  return Math.min(5000, selectionDeadlineMs / 10);
}

/** What the evaluation deadline is derived from (validator clock, Unix ms). */
export interface DeadlineInputs {
  /** Now: the window's jobs are about to be queued. */
  readonly nowMs: number;
  /** When the window's upload slot closed. */
  readonly closeMs: number;
  readonly evaluationTimeoutMs: number;
  readonly selectionDeadlineMs: number;
}

/** The evaluation deadline of a window: see the module comment. */
export function evaluationDeadlineMs(i: DeadlineInputs): number {
  const selectionBy = i.closeMs + i.selectionDeadlineMs - selectionMarginMs(i.selectionDeadlineMs);
  return Math.min(i.nowMs + i.evaluationTimeoutMs, selectionBy);
}
