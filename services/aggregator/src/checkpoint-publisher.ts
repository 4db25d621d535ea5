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
 * (write-once keys accept the same bytes). The files are streamed from disk, never held in memory
 * whole: a 1B model's fp32 checkpoint (4.7 GB) is more than one JavaScript buffer can hold.
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
import type { CheckpointFileEntry, CheckpointLineage, LineageAggregate } from '@cohort/core';
import { listCheckpointWindows, withTempDir } from '@cohort/replica';

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
    const stored = await deps.store.get(checkpointKeys(deps.runId, w).manifest, { signal: deps.signal });
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
    const info = await deps.store.head(aggregateKey(deps.runId, s));
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
 * `checkpoint_published` {window, stateFingerprint, created}.
 */
export async function publishCheckpoint(deps: AggregatorDeps): Promise<boolean> {
  const { replica, store, runId } = deps;
  const window = replica.window;
  const fingerprint = replica.fingerprint;
  const keys = checkpointKeys(runId, window);
  const done = deps.metrics.phase('checkpoint');
  try {
    const existing = await store.get(keys.manifest, { signal: deps.signal });
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
          model: await upload(deps, keys.model, join(dir, 'model.safetensors'), 'application/octet-stream'),
          config: await upload(deps, keys.config, join(dir, 'config.json'), 'application/json'),
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
    done('ok');
    deps.published.checkpoint(window);
    deps.log.info('checkpoint_published', { window, stateFingerprint: fingerprint, created });
    return created;
  } catch (error) {
    done('error');
    throw error;
  }
}
