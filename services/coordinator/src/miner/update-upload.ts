/**
 * One update put under `updates/<w>/<hotkey>`, timed and counted, with its own abort: the loop's stop
 * does not cut it, the loop's {@link UploadDrain} bounds it (upload-drain.ts).
 */
import { CohortError, updateKey } from '@cohort/core';
import type { Logger, StoreClient } from '@cohort/kit';

import type { MinerMetrics } from './miner-metrics.js';
import { abandonReason } from './upload-drain.js';
import type { UploadDrain } from './upload-drain.js';

/** What a put needs. */
export interface UpdateUploadDeps {
  readonly runId: string;
  readonly hotkey: string;
  readonly store: Pick<StoreClient, 'put'>;
  readonly drain: UploadDrain;
  readonly log: Logger;
  readonly metrics: MinerMetrics;
}

/** How a put ended; `abandoned`: a stopping loop cut it (logged `upload_abandoned`), nothing to report. */
export type UploadOutcome =
  | { readonly kind: 'uploaded'; readonly ok: true }
  | { readonly kind: 'uploaded'; readonly ok: false; readonly reason: string }
  | { readonly kind: 'abandoned' };

/** Put `bytes` as this miner's update of `window`, whose upload slot closes at `closesAt` (if known). */
export async function uploadUpdate(
  deps: UpdateUploadDeps,
  window: number,
  bytes: Uint8Array,
  closesAt: number | undefined,
): Promise<UploadOutcome> {
  const { metrics, log } = deps;
  const done = metrics.phase('upload');
  const key = updateKey(deps.runId, window, deps.hotkey);
  const abort = new AbortController();
  const put = deps.store.put(key, bytes, { signal: abort.signal });
  deps.drain.track({ window, closesAt, abort }, put);
  try {
    await put;
    done('ok');
    metrics.bytesUp(bytes.length);
    metrics.contributed();
    log.info('update_uploaded', { window, key, bytes: bytes.length });
    return { kind: 'uploaded', ok: true };
  } catch (error) {
    const abandoned = abandonReason(abort.signal);
    if (abandoned !== undefined) {
      done('cancelled');
      metrics.skipped('UPLOAD_ABANDONED');
      log.warn('upload_abandoned', { window, key, bytes: bytes.length, reason: abandoned });
      return { kind: 'abandoned' };
    }
    done('error');
    log.warn('upload_failed', { window, key, error: String(error) });
    const reason =
      error instanceof CohortError && error.reason !== undefined ? error.reason : 'UPLOAD_FAILED';
    return { kind: 'uploaded', ok: false, reason };
  }
}
