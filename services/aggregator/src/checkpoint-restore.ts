/**
 * Restore the replica at start from the run's checkpoints (protocol §9), the way a newcomer joins:
 * the checkpoint `LATEST` names first (a hint: ADR 0016 leaves it unsigned), then every checkpoint
 * with a manifest in the store, newest first, newer than LATEST included (a crash between a manifest
 * and its LATEST, or retention that kept only the newest, leave LATEST behind or pointing at nothing).
 * A checkpoint is used only when its manifest parses, is signed by this aggregator's own hotkey (a
 * checkpoint another key signed is not this run's, ADR 0016) and names this run, window and preset, both
 * files match the manifest's sizes and BLAKE2b-256 (as the store hashed them), the engine loads the
 * model against that hash, and the loaded state has the manifest's fingerprint. Each refusal is logged
 * as `checkpoint_rejected` {window, reason, detail}. Store outages are not refusals: they propagate so
 * the caller retries.
 */
import { CheckpointManifestError, Code, CohortError, encodeSs58, latestKey, parseLatest } from '@cohort/core';
import { CheckpointRejected, listCheckpointWindows, loadCheckpoint } from '@cohort/replica';
import type { RejectReason } from '@cohort/replica';

import type { AggregatorDeps } from './deps.js';

export { isTransient } from '@cohort/replica';
export type { RejectReason } from '@cohort/replica';

/** `LATEST` holds one small JSON object (`{"format":…,"window":…}`): anything bigger is not one. */
export const MAX_LATEST_BYTES = 1024;

/** The window `LATEST` names; undefined when there is none or it is unusable (`invalid` is told why). */
async function readLatest(
  deps: AggregatorDeps,
  invalid: (detail: string) => void,
): Promise<number | undefined> {
  try {
    const pointer = await deps.store.get(latestKey(deps.runId), {
      signal: deps.signal,
      maxBytes: MAX_LATEST_BYTES,
    });
    return pointer === undefined ? undefined : parseLatest(pointer.bytes).window;
  } catch (error) {
    const refused =
      error instanceof CheckpointManifestError ||
      (error instanceof CohortError && error.reason === 'TOO_LARGE');
    if (!refused) throw error;
    invalid(error.message);
    return undefined;
  }
}

/**
 * Load the newest usable checkpoint into the replica. Returns its window, or undefined when the run has
 * no checkpoint at all (genesis is then the aggregator's to publish). Throws NO_USABLE_CHECKPOINT when
 * checkpoints exist but every one was refused: starting from the seed would fork the run.
 */
export async function restoreCheckpoint(deps: AggregatorDeps): Promise<number | undefined> {
  const reject = (window: number | null, reason: RejectReason, detail: string): void => {
    deps.metrics.checkpointRejected(reason);
    deps.log.warn('checkpoint_rejected', { window, reason, detail });
  };
  const latest = await readLatest(deps, (detail) => reject(null, 'LATEST_INVALID', detail));
  const listed = await listCheckpointWindows(deps);
  const source = {
    runId: deps.runId,
    store: deps.store,
    preset: deps.settings.preset,
    aggregator: encodeSs58(deps.hotkey.publicKey),
    scratchDir: deps.settings.stateDir,
    signal: deps.signal,
  };
  const candidates = latest === undefined ? listed : [latest, ...listed.filter((w) => w !== latest)];
  if (candidates.length === 0) return undefined;
  for (const window of candidates) {
    try {
      await loadCheckpoint(source, deps.replica, window);
      return window;
    } catch (error) {
      if (!(error instanceof CheckpointRejected)) throw error;
      reject(window, error.reason, error.detail);
    }
  }
  throw new CohortError(
    Code.FailedPrecondition,
    `none of the run's checkpoints is usable (${candidates.join(', ')})`,
    {
      reason: 'NO_USABLE_CHECKPOINT',
      details: { candidates: candidates.join(',') },
    },
  );
}
