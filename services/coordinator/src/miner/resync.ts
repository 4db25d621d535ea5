/**
 * Join and catch-up (protocol §9): put the worker's replica at the newest state the run's objects can
 * prove. Load the newest checkpoint (from `LATEST`, else the newest listed), check the loaded replica's
 * fingerprint against the manifest, then replay the aggregates published since, in order, up to the
 * chain's window, each one trusted first, and audited on the sampled windows (audited-aggregate.ts; a
 * refused one ends the replay); each aggregate names the θ_s it was computed from, so the worker refuses
 * one that does not fit (WRONG_STATE) rather than drifting. The coordinator reads each candidate's
 * manifest first and checks its signature and signer (the run's aggregator, ADR 0016), then has the
 * worker load exactly those manifest bytes (their BLAKE2b-256 pins the load). A checkpoint refused here
 * (unsigned, forged, another signer) or by the worker (absent, corrupt, wrong fingerprint) is skipped
 * for the next older one. The replica ends at θ_s with s ≤ the
 * chain window; the loop then waits for A_s (or trains s when s is the chain's window).
 */
import {
  AggregateRefused,
  CheckpointManifestError,
  CohortError,
  Code,
  blake2b256,
  checkpointKeys,
  parseCheckpointManifest,
  parseLatest,
  latestKey,
  runPrefix,
  tryParseKey,
} from '@cohort/core';
import type { Logger, StoreClient } from '@cohort/kit';

import type { AggregateSource } from './audited-aggregate.js';
import type { WorkerLink } from './worker-link.js';

/** What a resync needs. */
export interface ResyncDeps {
  readonly runId: string;
  readonly store: Pick<StoreClient, 'get' | 'list'>;
  readonly worker: Pick<WorkerLink, 'load' | 'apply'>;
  readonly alpha: number;
  /** SS58 address of the run's aggregator, whose checkpoints alone are loaded; undefined: any signer. */
  readonly aggregator: string | undefined;
  /** The aggregates replayed (trusted, sampled ones audited); a refused one ends the replay there (`aggregate_refused`). */
  readonly aggregates: AggregateSource;
  readonly log: Logger;
  /** Bytes fetched from the store (aggregates) and by the worker (checkpoints). */
  readonly downloaded: (bytes: number) => void;
  /** A checkpoint refused, with its reason (after it was logged as `checkpoint_rejected`). */
  readonly rejected: (reason: string) => void;
}

/** How a resync ended. */
export type ResyncResult =
  | {
      readonly ok: true;
      readonly stateWindow: number;
      readonly checkpoint: number;
      readonly replayed: number;
      /** Bytes downloaded by this resync: the checkpoint (by the worker) and the aggregates replayed. */
      readonly downloadedBytes: number;
    }
  | { readonly ok: false; readonly reason: string };

/** Checkpoint windows to try, newest first: `LATEST` first, then every listed manifest. */
async function checkpointCandidates(deps: ResyncDeps): Promise<number[]> {
  const windows = new Set<number>();
  const latest = await deps.store.get(latestKey(deps.runId));
  if (latest !== undefined) {
    try {
      windows.add(parseLatest(latest.bytes).window);
    } catch (error) {
      deps.log.warn('latest_invalid', { error: String(error) });
    }
  }
  for (const object of await deps.store.list(`${runPrefix(deps.runId)}checkpoints/`)) {
    const key = tryParseKey(object.key);
    if (key?.kind === 'checkpoint' && key.file === 'manifest.json') windows.add(key.window);
  }
  const [first, ...rest] = [...windows];
  return first === undefined ? [] : [first, ...rest.filter((w) => w !== first).sort((a, b) => b - a)];
}

/**
 * The BLAKE2b-256 of checkpoint `window`'s manifest once it passed the signature and trust checks;
 * throws {@link CheckpointManifestError} (or MANIFEST_MISSING) for a checkpoint to skip, and store errors.
 */
async function trustedManifest(deps: ResyncDeps, window: number): Promise<Uint8Array> {
  const key = checkpointKeys(deps.runId, window).manifest;
  const stored = await deps.store.get(key);
  if (stored === undefined) throw new CheckpointManifestError(`${key} is absent`, 'MANIFEST_MISSING');
  parseCheckpointManifest(stored.bytes, { runId: deps.runId, window, aggregator: deps.aggregator });
  return blake2b256(stored.bytes);
}

/**
 * The worker is not answering yet: down (UNAVAILABLE), or listening while it starts, before its
 * GpuWorkerService is registered (UNIMPLEMENTED). Either way no checkpoint was refused: retry.
 */
/**
 * The worker could not answer (down, not serving it, or still busy with a call that timed out here): retry
 * later, never a verdict on the checkpoint.
 */
const unavailable = (error: unknown): boolean =>
  error instanceof CohortError &&
  (error.code === Code.Unavailable ||
    error.code === Code.Unimplemented ||
    error.code === Code.DeadlineExceeded ||
    error.reason === 'BUSY');

/**
 * Load the newest good checkpoint and replay the aggregates since, up to `chainWindow`. Fails (to be
 * retried) when the worker or store is unreachable or no checkpoint loads.
 */
export async function resync(
  deps: ResyncDeps,
  chainWindow: number,
  signal: AbortSignal,
): Promise<ResyncResult> {
  const { log, worker, runId } = deps;
  let candidates: number[];
  try {
    candidates = await checkpointCandidates(deps);
  } catch (error) {
    return { ok: false, reason: `STORE_UNAVAILABLE: ${String(error)}` };
  }
  let downloadedBytes = 0;
  for (const checkpoint of candidates) {
    if (signal.aborted) return { ok: false, reason: 'CANCELLED' };
    if (checkpoint > chainWindow) continue; // from a chain this one has not reached (or a restarted devnet)
    const manifestKey = checkpointKeys(runId, checkpoint).manifest;
    let pin: Uint8Array;
    try {
      pin = await trustedManifest(deps, checkpoint);
    } catch (error) {
      if (!(error instanceof CheckpointManifestError)) {
        return { ok: false, reason: `STORE_UNAVAILABLE: ${String(error)}` };
      }
      log.warn('checkpoint_rejected', { window: checkpoint, reason: error.reason, error: error.message });
      deps.rejected(error.reason ?? 'MANIFEST_INVALID');
      continue;
    }
    try {
      const loaded = await worker.load(manifestKey, checkpoint, pin);
      deps.downloaded(loaded.downloadedBytes);
      downloadedBytes += loaded.downloadedBytes;
      log.info('checkpoint_loaded', { window: checkpoint, stateFingerprint: loaded.fingerprint });
    } catch (error) {
      if (unavailable(error)) return { ok: false, reason: 'WORKER_UNAVAILABLE' };
      const reason = error instanceof CohortError ? error.reason : undefined;
      log.warn('checkpoint_rejected', { window: checkpoint, reason, error: String(error) });
      deps.rejected(reason ?? 'LOAD_FAILED');
      continue;
    }
    let s = checkpoint;
    while (s < chainWindow && !signal.aborted) {
      let aggregate;
      try {
        aggregate = await deps.aggregates.fetch(s, signal);
      } catch (error) {
        if (!(error instanceof AggregateRefused)) throw error;
        log.error('aggregate_refused', { window: s, reason: error.reason, detail: error.message });
        break;
      }
      if (aggregate === undefined) break;
      deps.downloaded(aggregate.bytes.length);
      downloadedBytes += aggregate.bytes.length;
      try {
        await worker.apply(s, deps.alpha, aggregate.bytes);
      } catch (error) {
        if (unavailable(error)) return { ok: false, reason: 'WORKER_UNAVAILABLE' };
        log.warn('replay_failed', { window: s, error: String(error) });
        return { ok: false, reason: 'REPLAY_FAILED' };
      }
      s += 1;
    }
    return { ok: true, stateWindow: s, checkpoint, replayed: s - checkpoint, downloadedBytes };
  }
  return { ok: false, reason: candidates.length === 0 ? 'NO_CHECKPOINT' : 'NO_GOOD_CHECKPOINT' };
}
