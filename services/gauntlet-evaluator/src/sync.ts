/**
 * Bring the replica to θ_w for a window-w job, the way a newcomer joins the run (protocol §9):
 *
 * - A replica of an unknown window, or of a window after w (a late job of an older window), is reloaded
 *   from the newest usable checkpoint at or before w: `LATEST` when it is not after w, else the older
 *   ones in the store, newest first.
 * - Then, for each s from the replica's window up to w − 1: `aggregates/<s>`, once it passed the trust
 *   checks (signed by the run's aggregator, contributors in the trusted validator's selection; a refused
 *   one makes the job unscorable: {@link CannotScoreError} AGGREGATE_REFUSED), is applied (θ_{s+1} = θ_s −
 *   α·A_s; the engine refuses one computed from another θ_s); a window without aggregate whose checkpoint
 *   s+1 names θ_s's own fingerprint is carried over; a gap with a newer checkpoint at or before w is
 *   bridged by loading it; otherwise θ_w is not buildable yet ({@link NotReadyError}: the job is retried).
 *
 * A checkpoint is used only when its manifest parses and names this run, window and preset, both files
 * match the manifest's sizes and BLAKE2b-256, the engine loads the model against that hash, and the
 * loaded state has the manifest's fingerprint (the shared `@cohort/replica` loader, as the aggregator's);
 * each refusal is logged as `checkpoint_rejected` {window, reason, detail}. Store outages propagate (the
 * job's attempt fails and is retried).
 */
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import {
  AggregateRefused,
  checkpointKeys,
  latestKey,
  parseCheckpointManifest,
  parseLatest,
} from '@cohort/core';
import { fetchTrustedAggregate } from '@cohort/kit';
import {
  CheckpointRejected,
  aggregateBytesBound,
  listCheckpointWindows,
  loadCheckpoint,
} from '@cohort/replica';

import type { EvaluatorDeps } from './deps.js';
import { CannotScoreError, NotReadyError } from './errors.js';

/** Window `window`'s aggregate, trusted (kit's fetchTrustedAggregate), or undefined while unpublished. */
async function trustedAggregate(deps: EvaluatorDeps, window: number): Promise<Uint8Array | undefined> {
  const { store, runId, trust, signal, log } = deps;
  const maxAggregateBytes = aggregateBytesBound(deps.parameterCount);
  try {
    return (await fetchTrustedAggregate({ store, runId, trust, signal, maxAggregateBytes }, window))?.bytes;
  } catch (error) {
    if (!(error instanceof AggregateRefused)) throw error;
    log.error('aggregate_refused', { window, reason: error.reason, detail: error.message });
    throw new CannotScoreError(
      'AGGREGATE_REFUSED',
      `θ needs window ${window}'s aggregate, refused: ${error.message}`,
      {
        window,
        refusal: error.reason,
      },
    );
  }
}

/** Load checkpoint `window` into the replica (the shared loader), counted and logged. */
async function loadInto(deps: EvaluatorDeps, window: number): Promise<void> {
  const scratchDir = deps.settings.stateDir === '' ? tmpdir() : deps.settings.stateDir;
  await mkdir(scratchDir, { recursive: true });
  const fingerprint = await loadCheckpoint(
    {
      runId: deps.runId,
      store: deps.store,
      preset: deps.settings.preset,
      aggregator: deps.trust.aggregator,
      scratchDir,
      signal: deps.signal,
    },
    deps.replica,
    window,
  );
  deps.metrics.checkpointLoaded();
  deps.log.info('replica_restored', { window, fingerprint, from: 'checkpoint' });
}

/** Load the first usable checkpoint of `candidates`; returns its window, or undefined when all were refused. */
async function loadFirstUsable(
  deps: EvaluatorDeps,
  candidates: readonly number[],
): Promise<number | undefined> {
  for (const window of candidates) {
    try {
      await loadInto(deps, window);
      return window;
    } catch (error) {
      if (!(error instanceof CheckpointRejected)) throw error;
      if (!error.replicaIntact) deps.replica.invalidate();
      deps.metrics.checkpointRejected(error.reason);
      deps.log.warn('checkpoint_rejected', { window, reason: error.reason, detail: error.detail });
    }
  }
  return undefined;
}

/** The window `LATEST` names, or undefined (absent or unreadable: the listing covers it). */
async function latestWindow(deps: EvaluatorDeps): Promise<number | undefined> {
  const pointer = await deps.store.get(latestKey(deps.runId), { signal: deps.signal });
  if (pointer === undefined) return undefined;
  try {
    return parseLatest(pointer.bytes).window;
  } catch (error) {
    deps.metrics.checkpointRejected('LATEST_INVALID');
    deps.log.warn('checkpoint_rejected', {
      window: null,
      reason: 'LATEST_INVALID',
      detail: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  }
}

/** Reload the replica from the newest usable checkpoint at or before `window`. */
async function reload(deps: EvaluatorDeps, window: number): Promise<void> {
  const latest = await latestWindow(deps);
  const listed = await listCheckpointWindows(deps);
  const older = listed.filter((w) => w <= window && w !== latest);
  const candidates = latest !== undefined && latest <= window ? [latest, ...older] : older;
  if (candidates.length === 0) {
    if (listed.length === 0 && latest === undefined) {
      throw new NotReadyError('NO_CHECKPOINT', 'the run has no checkpoint yet');
    }
    throw new CannotScoreError(
      'NO_CHECKPOINT_BEFORE',
      `no checkpoint at or before window ${window} (oldest: ${listed.at(-1) ?? latest})`,
      { window },
    );
  }
  if ((await loadFirstUsable(deps, candidates)) === undefined) {
    throw new CannotScoreError(
      'NO_USABLE_CHECKPOINT',
      `none of the checkpoints at or before window ${window} is usable (${candidates.join(', ')})`,
      { window },
    );
  }
}

/**
 * Move the replica from s to s+1 without a checkpoint load: its aggregate, or a carried-over window.
 * Returns false when neither is published.
 */
async function step(deps: EvaluatorDeps): Promise<boolean> {
  const { replica, store, runId, log, metrics, trust } = deps;
  const window = replica.window;
  const aggregate = await trustedAggregate(deps, window);
  if (aggregate !== undefined) {
    const before = replica.fingerprint;
    try {
      await replica.apply(aggregate);
    } catch (error) {
      replica.invalidate(); // an aggregate that does not fit θ_s: this state proves nothing any more
      throw error;
    }
    metrics.aggregateReplayed();
    log.info('aggregate_replayed', {
      window,
      stateFingerprintBefore: before,
      stateFingerprintAfter: replica.fingerprint,
    });
    return true;
  }
  const next = await store.get(checkpointKeys(runId, window + 1).manifest, { signal: deps.signal });
  if (next === undefined) return false;
  try {
    const manifest = parseCheckpointManifest(next.bytes, {
      runId,
      window: window + 1,
      aggregator: trust.aggregator,
    });
    if (manifest.stateFingerprint !== replica.fingerprint) return false;
  } catch {
    return false; // an unreadable manifest proves nothing
  }
  replica.carryOver();
  log.info('window_carried_over', { window, stateFingerprint: replica.fingerprint });
  return true;
}

/** Bring the replica to θ_window (see the module comment). */
export async function syncTo(deps: EvaluatorDeps, window: number): Promise<void> {
  const { replica, metrics } = deps;
  try {
    if (replica.window < 0 || replica.window > window) await reload(deps, window);
    while (replica.window < window) {
      if (await step(deps)) continue;
      const s = replica.window;
      const newer = (await listCheckpointWindows(deps)).filter((w) => w > s && w <= window);
      if (newer.length > 0 && (await loadFirstUsable(deps, newer)) !== undefined) continue;
      // (When a newer checkpoint failed in the engine the replica is invalid: the next job reloads.)
      throw new NotReadyError(
        'AGGREGATE_NOT_READY',
        `θ_${window} needs aggregates/${s}, which is not published yet`,
        { window, stateWindow: s },
      );
    }
  } finally {
    metrics.stateWindow(replica.window);
  }
}
