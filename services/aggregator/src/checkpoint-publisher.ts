/**
 * Publish the replica's θ_c as checkpoint `checkpoints/<c>/` (protocol §9): the engine writes
 * model.safetensors + config.json into a scratch directory, both are uploaded, then manifest.json naming
 * them with the store's sizes and BLAKE2b-256, θ_c's fingerprint and its lineage (the previous checkpoint
 * and the aggregates since), then `LATEST`. A checkpoint without
 * manifest does not exist for readers, so an interruption anywhere leaves nothing half-visible.
 *
 * Idempotent, because a restarted aggregator may publish the same window again: a manifest already
 * there with θ_c's fingerprint counts as published; identical files are no-ops for the store
 * (write-once keys accept the same bytes). The model is read into memory whole: fine for the presets
 * a single aggregator runs today; streaming from the file is a later change.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Code,
  CohortError,
  aggregateKey,
  checkpointKeys,
  encodeCheckpointManifest,
  encodeLatest,
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

async function upload(
  deps: AggregatorDeps,
  key: string,
  bytes: Uint8Array,
  contentType: string,
): Promise<CheckpointFileEntry> {
  const { info } = await deps.store.put(key, bytes, { contentType, signal: deps.signal });
  if (info === undefined || info.sizeBytes !== BigInt(bytes.length) || info.blake2b256.length !== 32) {
    throw new CohortError(Code.DataLoss, `the store did not confirm ${key} (${bytes.length} bytes)`, {
      reason: 'STORE_BAD_REPLY',
    });
  }
  return { sizeBytes: bytes.length, blake2b256: hex(info.blake2b256) };
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
 * How θ_window came about: the newest checkpoint before it (null for the run's first), the aggregates
 * published for the windows between, as the store holds them (size, BLAKE2b-256), and the outer steps
 * since the run's first checkpoint (the previous manifest's count plus these).
 */
async function lineageOf(deps: AggregatorDeps, window: number): Promise<CheckpointLineage> {
  const previous = (await listCheckpointWindows(deps)).find((w) => w < window);
  if (previous === undefined) return { previous: null, outerSteps: 0, aggregates: [] };
  const before = await deps.store.get(checkpointKeys(deps.runId, previous).manifest, { signal: deps.signal });
  const stepsOf = (bytes: Uint8Array): number => {
    try {
      return parseCheckpointManifest(bytes).lineage?.outerSteps ?? 0;
    } catch {
      return 0; // listed a moment ago; an unreadable one starts the count afresh
    }
  };
  const stepsBefore = before ? stepsOf(before.bytes) : 0;
  const aggregates: LineageAggregate[] = [];
  for (let s = previous; s < window; s++) {
    const info = await deps.store.head(aggregateKey(deps.runId, s));
    if (info === undefined) continue; // carried over: no aggregate for s
    aggregates.push({ window: s, sizeBytes: Number(info.sizeBytes), blake2b256: hex(info.blake2b256) });
  }
  return { previous, outerSteps: stepsBefore + aggregates.length, aggregates };
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
      const manifest = parseCheckpointManifest(existing.bytes, { runId, window });
      if (manifest.stateFingerprint !== fingerprint)
        throw conflict(window, manifest.stateFingerprint, fingerprint);
    } else {
      const { model, config } = await withTempDir(deps.settings.stateDir, async (dir) => {
        await replica.engine.saveCheckpoint(dir);
        const modelBytes = await readFile(join(dir, 'model.safetensors'));
        const configBytes = await readFile(join(dir, 'config.json'));
        return {
          model: await upload(deps, keys.model, modelBytes, 'application/octet-stream'),
          config: await upload(deps, keys.config, configBytes, 'application/json'),
        };
      });
      const manifest = encodeCheckpointManifest({
        runId,
        window,
        preset: deps.settings.preset,
        stateFingerprint: fingerprint,
        model,
        config,
        createdUnixMs: deps.clock.now(),
        lineage: await lineageOf(deps, window),
      });
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
