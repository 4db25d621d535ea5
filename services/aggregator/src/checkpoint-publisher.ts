/**
 * Publish the replica's θ_c as checkpoint `checkpoints/<c>/` (protocol §9): the engine writes
 * model.safetensors + config.json into a scratch directory, both are uploaded, then manifest.json naming
 * them with the store's sizes and BLAKE2b-256, θ_c's fingerprint and its lineage (the previous checkpoint
 * and the aggregates since), then `LATEST`. A checkpoint without
 * manifest does not exist for readers, so an interruption anywhere leaves nothing half-visible.
 *
 * The manifest is signed with the aggregator's hotkey (ADR 0016): replicas load only checkpoints the
 * run's aggregator signed. Idempotent, because a restarted aggregator may publish the same window again:
 * a manifest already there, signed by this hotkey, with θ_c's fingerprint counts as published; identical files are no-ops for the store
 * (write-once keys accept the same bytes). Files of other content under the keys of a checkpoint
 * without manifest are orphans of an attempt that died before its manifest (θ_c may since have been
 * recomputed from late uploads): invisible to readers, they are deleted (`checkpoint_orphans_removed`)
 * and the upload retried, so a crash never wedges the window on OBJECT_EXISTS. The files are streamed
 * from disk, never held in memory whole: a 1B model's fp32 checkpoint (4.7 GB) is more than one
 * JavaScript buffer can hold.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Code,
  CohortError,
  aggregateKey,
  checkpointKeys,
  encodeCheckpointManifest,
  encodeLatest,
  encodeSs58,
  latestKey,
  parseCheckpointManifest,
} from '@cohort/core';
import type { CheckpointFileEntry, CheckpointKeys, CheckpointLineage, LineageAggregate } from '@cohort/core';
import { CheckpointRejected, listCheckpointWindows, readManifest, withTempDir } from '@cohort/replica';

import type { AggregatorDeps } from './deps.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A checkpoint window already holds a manifest of another state: never overwritten. */
function conflict(window: number, theirs: string, ours: string): CohortError {
  return new CohortError(
    Code.FailedPrecondition,
    `checkpoint ${window} already names state ${theirs}, this replica holds ${ours}`,
    { reason: 'CHECKPOINT_CONFLICT', details: { window, theirs, ours } },
  );
}

/** Stream the file at `path` to `key`: the manifest names the size and BLAKE2b-256 the store confirms. */
async function upload(
  deps: AggregatorDeps,
  key: string,
  path: string,
  contentType: string,
): Promise<CheckpointFileEntry> {
  const { size } = await stat(path);
  const { info } = await deps.store.putFile(key, path, { contentType, signal: deps.signal });
  if (info === undefined || info.sizeBytes !== BigInt(size) || info.blake2b256.length !== 32) {
    throw new CohortError(Code.DataLoss, `the store did not confirm ${key} (${size} bytes)`, {
      reason: 'STORE_BAD_REPLY',
    });
  }
  return { sizeBytes: size, blake2b256: hex(info.blake2b256) };
}

const isObjectExists = (error: unknown): boolean =>
  error instanceof CohortError && error.reason === 'OBJECT_EXISTS';

/**
 * Upload one checkpoint file. When the key holds other content (OBJECT_EXISTS) and the checkpoint still
 * has no manifest, that content is an orphan of an earlier attempt no reader can see: delete it, log
 * `checkpoint_orphans_removed`, and upload once more (a second OBJECT_EXISTS is a concurrent writer's,
 * and fails the publish).
 */
async function uploadReplacingOrphan(
  deps: AggregatorDeps,
  keys: CheckpointKeys,
  window: number,
  file: { readonly key: string; readonly path: string; readonly contentType: string },
): Promise<CheckpointFileEntry> {
  try {
    return await upload(deps, file.key, file.path, file.contentType);
  } catch (error) {
    if (!isObjectExists(error)) throw error;
    if ((await deps.store.head(keys.manifest, { signal: deps.signal })) !== undefined) throw error;
    const orphan = await deps.store.head(file.key, { signal: deps.signal });
    await deps.store.delete(file.key, { signal: deps.signal });
    deps.log.warn('checkpoint_orphans_removed', {
      window,
      key: file.key,
      sizeBytes: orphan === undefined ? null : Number(orphan.sizeBytes),
      blake2b256: orphan === undefined ? null : hex(orphan.blake2b256),
    });
    return upload(deps, file.key, file.path, file.contentType);
  }
}

/**
 * Point `LATEST` at `window`. Always written, even when lower than what it says: this aggregator is
 * the run's only writer of LATEST and publishes in window order, so a higher value is one it could not
 * restore from (rejected at start) and the checkpoint just published is the better pointer.
 */
async function writeLatest(deps: AggregatorDeps, window: number): Promise<void> {
  const key = latestKey(deps.runId);
  await deps.store.put(key, encodeLatest(window), { contentType: 'application/json', signal: deps.signal });
}

/**
 * How θ_window came about: the newest checkpoint before it that this aggregator signed (null for the
 * run's first; a manifest another key wrote into the bucket is no part of the lineage), the aggregates
 * published for the windows between, as the store holds them (size, BLAKE2b-256), and the outer steps
 * since the run's first checkpoint (the previous manifest's count plus these).
 */
async function lineageOf(deps: AggregatorDeps, window: number): Promise<CheckpointLineage> {
  const own = { runId: deps.runId, aggregator: encodeSs58(deps.hotkey.publicKey) };
  let previous: { window: number; outerSteps: number } | undefined;
  for (const w of (await listCheckpointWindows(deps)).filter((w) => w < window)) {
    let stored;
    try {
      stored = await readManifest(deps, checkpointKeys(deps.runId, w).manifest);
    } catch (error) {
      if (error instanceof CheckpointRejected) continue; // too large to be a manifest: never a link
      throw error;
    }
    if (stored === undefined) continue;
    try {
      const manifest = parseCheckpointManifest(stored.bytes, { ...own, window: w });
      previous = { window: w, outerSteps: manifest.lineage?.outerSteps ?? 0 };
      break;
    } catch {
      continue; // not ours, or unreadable: never a link of the lineage
    }
  }
  if (previous === undefined) return { previous: null, outerSteps: 0, aggregates: [] };
  const aggregates: LineageAggregate[] = [];
  for (let s = previous.window; s < window; s++) {
    const info = await deps.store.head(aggregateKey(deps.runId, s), { signal: deps.signal });
    if (info === undefined) continue; // carried over: no aggregate for s
    aggregates.push({ window: s, sizeBytes: Number(info.sizeBytes), blake2b256: hex(info.blake2b256) });
  }
  return {
    previous: previous.window,
    outerSteps: previous.outerSteps + aggregates.length,
    aggregates,
  };
}

/**
 * Publish checkpoint c = the replica's window (θ_c). Returns whether anything new was written. Logs
 * `checkpoint_published` {window, stateFingerprint, created}. Timed by the caller (the window loop's
 * `checkpoint` phase), not here.
 */
export async function publishCheckpoint(deps: AggregatorDeps): Promise<boolean> {
  const { replica, store, runId } = deps;
  const window = replica.window;
  const fingerprint = replica.fingerprint;
  const keys = checkpointKeys(runId, window);
  const existing = await readManifest(deps, keys.manifest);
  let created = false;
  if (existing !== undefined) {
    const manifest = parseCheckpointManifest(existing.bytes, {
      runId,
      window,
      aggregator: encodeSs58(deps.hotkey.publicKey),
    });
    if (manifest.stateFingerprint !== fingerprint)
      throw conflict(window, manifest.stateFingerprint, fingerprint);
  } else {
    const { model, config } = await withTempDir(deps.settings.stateDir, async (dir) => {
      await replica.engine.saveCheckpoint(dir);
      return {
        model: await uploadReplacingOrphan(deps, keys, window, {
          key: keys.model,
          path: join(dir, 'model.safetensors'),
          contentType: 'application/octet-stream',
        }),
        config: await uploadReplacingOrphan(deps, keys, window, {
          key: keys.config,
          path: join(dir, 'config.json'),
          contentType: 'application/json',
        }),
      };
    });
    const manifest = encodeCheckpointManifest(
      {
        runId,
        window,
        preset: deps.settings.preset,
        stateFingerprint: fingerprint,
        model,
        config,
        createdUnixMs: deps.clock.now(),
        lineage: await lineageOf(deps, window),
      },
      deps.hotkey,
    );
    await store.put(keys.manifest, manifest, { contentType: 'application/json', signal: deps.signal });
    created = true;
  }
  await writeLatest(deps, window);
  deps.published.checkpoint(window);
  deps.log.info('checkpoint_published', { window, stateFingerprint: fingerprint, created });
  return created;
}
