/**
 * Following the validator's selection (protocol §6): after the upload slot, wait up to
 * `selectionWaitMs` for `selections/<s>` signed off by the configured validator (checked: run, window,
 * validator, shape), then aggregate exactly the selected updates — each one's bytes must hash to what
 * the validator scored. No selection in time (validator down or slow) falls back to every valid update,
 * loudly (`selection_missing`), so the run never stalls on one validator.
 *
 * Only an absent object is "no selection". A read that fails (the store unavailable, a deadline) throws:
 * the window fails and is retried at the next window event, because falling back would sign and publish
 * (write-once) an aggregate of unselected updates that every replica trusting the validator refuses
 * (CONTRIBUTOR_NOT_SELECTED), which stalls the run for good. A selection too large to be one
 * (over core's MAX_SELECTION_BYTES) counts as invalid, like one that does not parse.
 */
import { SelectionError } from '@cohort/core';
import type { Selection } from '@cohort/core';
import { fetchSelection } from '@cohort/kit';

import type { AggregatorDeps } from './deps.js';

/** Poll interval while waiting for the selection. */
const POLL_MS = 250;

/**
 * How long a window being caught up (not the newest) waits for its selection, at most: it is normally
 * there long ago, but a validator a little behind may be writing it now. `selectionWaitMs` caps it.
 */
export const CATCH_UP_SELECTION_WAIT_MS = 2_000;

/**
 * The selection of window `s`, or undefined when none is configured or none valid came within `waitMs`
 * (the current window's: `selectionWaitMs`; a window being caught up: {@link CATCH_UP_SELECTION_WAIT_MS}
 * at most). The store is always asked at least once, whatever `waitMs`. Throws what a failed read throws.
 */
export async function awaitSelection(
  deps: AggregatorDeps,
  s: number,
  waitMs: number,
): Promise<Selection | undefined> {
  const { selectionValidator } = deps.settings;
  if (selectionValidator === '') return undefined;
  const deadline = deps.clock.now() + waitMs;
  for (;;) {
    try {
      // kit's read: capped at core's MAX_SELECTION_BYTES (a larger one is a SelectionError, like one that
      // does not parse); a failed read throws through.
      const selection = await fetchSelection(deps.store, deps.runId, s, deps.signal);
      if (selection !== undefined && selection.validator !== selectionValidator) {
        deps.log.warn('selection_foreign', { window: s, validator: selection.validator });
      } else if (selection !== undefined) {
        return selection;
      }
    } catch (error) {
      if (!(error instanceof SelectionError)) throw error; // the store failed: never a reason to fall back
      deps.log.warn('selection_invalid', { window: s, error: String(error) });
    }
    if (deps.clock.now() >= deadline) {
      deps.log.warn('selection_missing', {
        window: s,
        waitedMs: waitMs,
        fallback: 'every valid update',
      });
      return undefined;
    }
    await deps.clock.sleep(Math.min(POLL_MS, deadline - deps.clock.now()), deps.signal);
  }
}
