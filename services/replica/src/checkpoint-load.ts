/**
 * Loading a run's checkpoint into a {@link Replica} (protocol §9), the one way every follower of a run
 * does it: the manifest must parse, carry a valid signature by the run's aggregator (when the source
 * names one; ADR 0016) and name this run, window and preset; both files must match the
 * manifest's sizes and BLAKE2b-256 (as the store hashed them); the engine loads the model against that
 * hash; and the loaded state must have the manifest's fingerprint. Any refusal is a
 * {@link CheckpointRejected} with a stable reason — the caller logs it and tries an older checkpoint;
 * store outages are not refusals and propagate.
 */
import { join } from 'node:path';
import {
  CheckpointManifestError,
  Code,
  CohortError,
  MAX_MANIFEST_BYTES,
  checkpointKeys,
  fileEntryMismatch,
  parseCheckpointManifest,
  runPrefix,
  tryParseKey,
} from '@cohort/core';
import type { CheckpointFileEntry } from '@cohort/core';
import type { StoreClient } from '@cohort/kit';

import type { Replica } from './replica.js';
import { withTempDir } from './temp-dir.js';

/** Why a stored checkpoint was refused (stable, for logs and metrics). */
export type RejectReason =
  | 'LATEST_INVALID'
  | 'MANIFEST_MISSING'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_TOO_LARGE'
  | 'MANIFEST_MISMATCH'
  | 'MANIFEST_UNSIGNED'
  | 'MANIFEST_BAD_SIGNATURE'
  | 'MANIFEST_UNTRUSTED'
  | 'PRESET_MISMATCH'
  | 'FILE_MISSING'
  | 'FILE_MISMATCH'
  | 'LOAD_FAILED'
  | 'STATE_MISMATCH';

/** A refused checkpoint. */
export class CheckpointRejected extends Error {
  constructor(
    readonly reason: RejectReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }

  /**
   * Whether the refusal came before the engine saw the files (manifest, preset, files): the replica
   * still holds what it held, so a caller need not invalidate it — a forged or broken newer
   * checkpoint then costs nothing but the refusal.
   */
  get replicaIntact(): boolean {
    return this.reason !== 'LOAD_FAILED' && this.reason !== 'STATE_MISMATCH';
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

/** Where a replica loads from. */
export interface CheckpointSource {
  readonly runId: string;
  readonly store: StoreClient;
  /** The engine preset the replica runs: a checkpoint of another is refused (PRESET_MISMATCH). */
  readonly preset: string;
  /** SS58 address of the run's aggregator: a manifest another key signed is MANIFEST_UNTRUSTED. Absent: any signer. */
  readonly aggregator?: string | undefined;
  /** Directory for the files on their way from the store to the engine. */
  readonly scratchDir: string;
  readonly signal?: AbortSignal;
}

/** Windows of every checkpoint with a manifest, newest first. The listing stops when `signal` aborts. */
export async function listCheckpointWindows(
  source: Pick<CheckpointSource, 'runId' | 'store' | 'signal'>,
): Promise<number[]> {
  const windows = new Set<number>();
  const prefix = `${runPrefix(source.runId)}checkpoints/`;
  for (const info of await source.store.list(prefix, source.signal ? { signal: source.signal } : {})) {
    const key = tryParseKey(info.key);
    if (key?.kind === 'checkpoint' && key.file === 'manifest.json') windows.add(key.window);
  }
  return [...windows].sort((a, b) => b - a);
}

/**
 * Stream `key` into the file at `path`, refused before any byte is written when the store's size or
 * BLAKE2b-256 is not the manifest's. The load then checks the bytes themselves against the manifest's hash.
 */
async function fetchToFile(
  source: CheckpointSource,
  key: string,
  entry: CheckpointFileEntry,
  path: string,
): Promise<void> {
  const info = await source.store.getToFile(key, path, {
    ...(source.signal ? { signal: source.signal } : {}),
    check: (stored) => {
      const mismatch = fileEntryMismatch(key, stored, entry);
      if (mismatch !== undefined) throw new CheckpointRejected('FILE_MISMATCH', mismatch);
    },
  });
  if (info === undefined) throw new CheckpointRejected('FILE_MISSING', `${key} is absent`);
}

/**
 * The manifest under `key` (undefined when absent), read only up to core's MAX_MANIFEST_BYTES: a bigger
 * object is refused from its announced size (MANIFEST_TOO_LARGE) before anything is buffered.
 */
export async function readManifest(
  source: Pick<CheckpointSource, 'store' | 'signal'>,
  key: string,
): Promise<{ readonly bytes: Uint8Array } | undefined> {
  try {
    return await source.store.get(key, {
      maxBytes: MAX_MANIFEST_BYTES,
      ...(source.signal ? { signal: source.signal } : {}),
    });
  } catch (error) {
    if (error instanceof CohortError && error.reason === 'TOO_LARGE') {
      throw new CheckpointRejected('MANIFEST_TOO_LARGE', error.message);
    }
    throw error;
  }
}

/**
 * Download, check and load checkpoint `window` into `replica`, which then holds θ_window. Returns the
 * fingerprint. Throws {@link CheckpointRejected} (the replica may be left with the rejected parameters:
 * the caller invalidates or loads another) or a transient store error.
 */
export async function loadCheckpoint(
  source: CheckpointSource,
  replica: Replica,
  window: number,
): Promise<string> {
  const { runId } = source;
  const keys = checkpointKeys(runId, window);
  const stored = await readManifest(source, keys.manifest);
  if (stored === undefined) throw new CheckpointRejected('MANIFEST_MISSING', `${keys.manifest} is absent`);
  let manifest;
  try {
    manifest = parseCheckpointManifest(stored.bytes, { runId, window, aggregator: source.aggregator });
  } catch (error) {
    if (!(error instanceof CheckpointManifestError)) throw error;
    throw new CheckpointRejected((error.reason ?? 'MANIFEST_INVALID') as RejectReason, error.message);
  }
  if (manifest.preset !== source.preset) {
    throw new CheckpointRejected(
      'PRESET_MISMATCH',
      `preset ${manifest.preset}, this replica is ${source.preset}`,
    );
  }
  const fingerprint = await withTempDir(source.scratchDir, async (dir) => {
    // Straight to disk: a 1B model's fp32 weights (4.7 GB) do not fit one JavaScript buffer.
    await fetchToFile(source, keys.config, manifest.config, join(dir, 'config.json'));
    await fetchToFile(source, keys.model, manifest.model, join(dir, 'model.safetensors'));
    try {
      return await replica.load(dir, manifest.model.blake2b256);
    } catch (error) {
      throw new CheckpointRejected('LOAD_FAILED', error instanceof Error ? error.message : String(error));
    }
  });
  if (fingerprint !== manifest.stateFingerprint) {
    throw new CheckpointRejected(
      'STATE_MISMATCH',
      `loaded state ${fingerprint}, the manifest says ${manifest.stateFingerprint}`,
    );
  }
  replica.anchor(window);
  return fingerprint;
}
