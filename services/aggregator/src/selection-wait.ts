/**
 * Following the validator's selection (protocol §6): after the upload slot, wait up to
 * `selectionWaitMs` for `selections/<s>` signed off by the configured validator (checked: run, window,
 * validator, shape), then aggregate exactly the selected updates — each one's bytes must hash to what
 * the validator scored. No selection in time (validator down or slow) falls back to every valid update,
 * loudly (`selection_missing`), so the run never stalls on one validator.
 */
import { parseSelection, selectionKey } from '@cohort/core';
import type { Selection } from '@cohort/core';

import type { AggregatorDeps } from './deps.js';

/** Poll interval while waiting for the selection. */
const POLL_MS = 250;

/**
 * The selection of window `s`, or undefined when none is configured or none came within `waitMs`
 * (the current window's: `selectionWaitMs`; a window being caught up: 0, it is there or never will be).
 */
export async function awaitSelection(
  deps: AggregatorDeps,
  s: number,
  waitMs: number,
): Promise<Selection | undefined> {
  const { selectionValidator } = deps.settings;
  const selectionWaitMs = waitMs;
  if (selectionValidator === '') return undefined;
  const key = selectionKey(deps.runId, s);
  const deadline = deps.clock.now() + selectionWaitMs;
  for (;;) {
    const object = await deps.store.get(key, { signal: deps.signal }).catch(() => undefined);
    if (object !== undefined) {
      try {
        const selection = parseSelection(object.bytes, { runId: deps.runId, window: s });
        if (selection.validator !== selectionValidator) {
          deps.log.warn('selection_foreign', { window: s, validator: selection.validator });
        } else {
          return selection;
        }
      } catch (error) {
        deps.log.warn('selection_invalid', { window: s, error: String(error) });
      }
    }
    if (deps.clock.now() >= deadline) {
      deps.log.warn('selection_missing', {
        window: s,
        waitedMs: selectionWaitMs,
        fallback: 'every valid update',
      });
      return undefined;
    }
    await deps.clock.sleep(Math.min(POLL_MS, deadline - deps.clock.now()), deps.signal);
  }
}
