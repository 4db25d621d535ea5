/**
 * Catch the replica up with what this aggregator already published for its state window s, before it
 * computes anything: `aggregates/<s>` (applied, exactly as every miner applies it), or — for a window
 * that had no aggregate — checkpoint s+1 naming θ_s's own fingerprint (carried over). Used after a
 * restore (the aggregates since the checkpoint) and before each window, so a crash between publishing
 * and applying, or a second instance, never leads to a second, different object for the same window
 * (write-once keys would refuse it anyway).
 */
import {
  Code,
  CohortError,
  aggregateKey,
  checkpointKeys,
  encodeSs58,
  parseCheckpointManifest,
  verifyDigest,
} from '@cohort/core';
import { objectDigest } from '@cohort/native';
import { CheckpointRejected, readManifest } from '@cohort/replica';

import { aggregateContributors } from './aggregate-contributors.js';
import type { AggregatorDeps } from './deps.js';

/** How the replica moved past a window: its published aggregate, or a checkpoint with the same state. */
export type Adopted = 'aggregate' | 'checkpoint';

const SIGNATURE_BYTES = 64;

/** Only aggregates this aggregator's hotkey signed are replayed; anything else under its key is a conflict. */
function checkOwnSignature(deps: AggregatorDeps, key: string, bytes: Uint8Array): void {
  const signed =
    bytes.length > SIGNATURE_BYTES + 32 &&
    verifyDigest(objectDigest(bytes), bytes.subarray(bytes.length - SIGNATURE_BYTES), deps.hotkey.publicKey);
  if (!signed) {
    throw new CohortError(Code.FailedPrecondition, `${key} is not signed by this aggregator's hotkey`, {
      reason: 'AGGREGATE_CONFLICT',
      details: { key },
    });
  }
}

/**
 * Adopt what is already published for the replica's window s, if anything. Returns how the replica
 * moved to s+1, or undefined when nothing was published for s. Logs `aggregate_replayed` {window,
 * stateFingerprintBefore, stateFingerprintAfter} or `window_carried_over` {window, stateFingerprint}.
 */
export async function adoptPublished(deps: AggregatorDeps): Promise<Adopted | undefined> {
  const { replica, store, runId, log } = deps;
  const window = replica.window;
  const key = aggregateKey(runId, window);
  const stored = await store.get(key, { signal: deps.signal, maxBytes: deps.settings.maxAggregateBytes });
  if (stored !== undefined) {
    checkOwnSignature(deps, key, stored.bytes);
    const before = replica.fingerprint;
    await replica.apply(stored.bytes);
    deps.published.aggregate({
      window,
      key,
      sizeBytes: stored.bytes.length,
      blake2b256: stored.info.blake2b256,
      contributors: aggregateContributors(stored.bytes) ?? [],
    });
    log.info('aggregate_replayed', {
      window,
      stateFingerprintBefore: before,
      stateFingerprintAfter: replica.fingerprint,
    });
    return 'aggregate';
  }
  let next: { readonly bytes: Uint8Array } | undefined;
  try {
    next = await readManifest(deps, checkpointKeys(runId, window + 1).manifest);
  } catch (error) {
    if (error instanceof CheckpointRejected) return undefined; // too large to be a manifest: as unreadable
    throw error;
  }
  if (next === undefined) return undefined;
  let fingerprint: string;
  try {
    fingerprint = parseCheckpointManifest(next.bytes, {
      runId,
      window: window + 1,
      aggregator: encodeSs58(deps.hotkey.publicKey),
    }).stateFingerprint;
  } catch {
    return undefined; // an unreadable manifest proves nothing; the window is computed instead
  }
  if (fingerprint !== replica.fingerprint) return undefined;
  replica.carryOver();
  deps.published.checkpoint(window + 1);
  log.info('window_carried_over', { window, stateFingerprint: fingerprint });
  return 'checkpoint';
}

/** Adopt published windows until one has nothing; returns how many aggregates were applied. */
export async function replayPublished(deps: AggregatorDeps): Promise<number> {
  let applied = 0;
  for (;;) {
    const adopted = await adoptPublished(deps);
    if (adopted === undefined) return applied;
    if (adopted === 'aggregate') applied += 1;
  }
}
