/**
 * Restore the replica at start from the run's checkpoints (protocol §9), the way a newcomer joins:
 * the checkpoint `LATEST` names, else (or when that one is refused) the next older one in the store.
 * A checkpoint is used only when its manifest parses and names this run, window and preset, both
 * files match the manifest's sizes and BLAKE2b-256 (as the store hashed them), the engine loads the
 * model against that hash, and the loaded state has the manifest's fingerprint. Each refusal is logged
 * as `checkpoint_rejected` {window, reason, detail}. Store outages are not refusals: they propagate so
 * the caller retries.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CheckpointManifestError,
  Code,
  CohortError,
  checkpointKeys,
  latestKey,
  parseCheckpointManifest,
  parseLatest,
  runPrefix,
  tryParseKey,
} from '@cohort/core';
import type { CheckpointFileEntry } from '@cohort/core';

import type { AggregatorDeps } from './deps.js';
import { withTempDir } from './temp-dir.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Why a stored checkpoint was refused (stable, for logs and metrics). */
export type RejectReason =
  | 'LATEST_INVALID'
  | 'MANIFEST_MISSING'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_TOO_LARGE'
  | 'MANIFEST_MISMATCH'
  | 'PRESET_MISMATCH'
  | 'FILE_MISSING'
  | 'FILE_MISMATCH'
  | 'LOAD_FAILED'
  | 'STATE_MISMATCH';

/** A refused checkpoint. */
class Rejected extends Error {
  constructor(
    readonly reason: RejectReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

/** Errors that say "the store is not answering now", never "this checkpoint is bad". */
export function isTransient(error: unknown): boolean {
  if (error instanceof Error && error.name === 'AbortError') return true;
  return (
    error instanceof CohortError &&
    (error.code === Code.Unavailable || error.code === Code.DeadlineExceeded || error.code === Code.Canceled)
  );
}

/** Windows of every checkpoint with a manifest, newest first. */
async function listCheckpointWindows(deps: AggregatorDeps): Promise<number[]> {
  const windows = new Set<number>();
  for (const info of await deps.store.list(`${runPrefix(deps.runId)}checkpoints/`)) {
    const key = tryParseKey(info.key);
    if (key?.kind === 'checkpoint' && key.file === 'manifest.json') windows.add(key.window);
  }
  return [...windows].sort((a, b) => b - a);
}

async function fetchFile(deps: AggregatorDeps, key: string, entry: CheckpointFileEntry): Promise<Uint8Array> {
  const stored = await deps.store.get(key, { signal: deps.signal });
  if (stored === undefined) throw new Rejected('FILE_MISSING', `${key} is absent`);
  const hash = hex(stored.info.blake2b256);
  if (stored.bytes.length !== entry.sizeBytes || hash !== entry.blake2b256) {
    throw new Rejected(
      'FILE_MISMATCH',
      `${key} has ${stored.bytes.length} bytes, BLAKE2b-256 ${hash}; the manifest says ${entry.sizeBytes}, ${entry.blake2b256}`,
    );
  }
  return stored.bytes;
}

/** Download, check and load checkpoint `window`; throws Rejected or a transient store error. */
async function loadCheckpoint(deps: AggregatorDeps, window: number): Promise<void> {
  const { runId, store, replica } = deps;
  const keys = checkpointKeys(runId, window);
  const stored = await store.get(keys.manifest, { signal: deps.signal });
  if (stored === undefined) throw new Rejected('MANIFEST_MISSING', `${keys.manifest} is absent`);
  let manifest;
  try {
    manifest = parseCheckpointManifest(stored.bytes, { runId, window });
  } catch (error) {
    if (!(error instanceof CheckpointManifestError)) throw error;
    throw new Rejected((error.reason ?? 'MANIFEST_INVALID') as RejectReason, error.message);
  }
  if (manifest.preset !== deps.settings.preset) {
    throw new Rejected(
      'PRESET_MISMATCH',
      `preset ${manifest.preset}, this replica is ${deps.settings.preset}`,
    );
  }
  const model = await fetchFile(deps, keys.model, manifest.model);
  const config = await fetchFile(deps, keys.config, manifest.config);
  const fingerprint = await withTempDir(deps.settings.stateDir, async (dir) => {
    await writeFile(join(dir, 'model.safetensors'), model);
    await writeFile(join(dir, 'config.json'), config);
    try {
      return await replica.load(dir, manifest.model.blake2b256);
    } catch (error) {
      throw new Rejected('LOAD_FAILED', error instanceof Error ? error.message : String(error));
    }
  });
  if (fingerprint !== manifest.stateFingerprint) {
    throw new Rejected(
      'STATE_MISMATCH',
      `loaded state ${fingerprint}, the manifest says ${manifest.stateFingerprint}`,
    );
  }
  replica.anchor(window);
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
  let latest: number | undefined;
  const pointer = await deps.store.get(latestKey(deps.runId), { signal: deps.signal });
  if (pointer !== undefined) {
    try {
      latest = parseLatest(pointer.bytes).window;
    } catch (error) {
      reject(null, 'LATEST_INVALID', error instanceof Error ? error.message : String(error));
    }
  }
  const listed = await listCheckpointWindows(deps);
  const candidates = latest === undefined ? listed : [latest, ...listed.filter((w) => w < latest)];
  if (candidates.length === 0) return undefined;
  for (const window of candidates) {
    try {
      await loadCheckpoint(deps, window);
      return window;
    } catch (error) {
      if (!(error instanceof Rejected)) throw error;
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
