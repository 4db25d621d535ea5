/**
 * LoadCheckpoint from the run's object store: the manifest names the model and config files with their
 * sizes and BLAKE2b-256 and θ_w's state fingerprint, and is signed (ADR 0016). The worker holds no trust
 * of its own: its coordinator checks the manifest's signer against the run's aggregator and sends the
 * manifest's BLAKE2b-256, and the worker loads only a manifest with exactly those bytes (without a pin,
 * any validly signed one). The files are downloaded into a private temporary
 * directory, checked against the manifest (the store's hash of each object, then the engine's own hash
 * of the model while loading), loaded, and the replica's new fingerprint compared with the manifest's.
 * Any mismatch is CHECKPOINT_CORRUPT and the caller (the coordinator's resync) falls back to an older
 * checkpoint; the temporary files are always removed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CheckpointManifestError,
  blake2b256,
  checkpointKeys,
  fileEntryMismatch,
  parseCheckpointManifest,
  tryParseKey,
} from '@cohort/core';
import type { CheckpointManifest } from '@cohort/core';
import type { StoreClient } from '@cohort/kit';

import type { Replica } from './replica.js';
import { badRequest, checkpointError } from './worker-errors.js';

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

/** The manifest key's run and window, or BAD_CHECKPOINT_KEY. */
function manifestTarget(key: string, runId: string, window: bigint): { run: string; window: number } {
  const parsed = tryParseKey(key);
  if (parsed?.kind !== 'checkpoint' || parsed.file !== 'manifest.json') {
    throw badRequest(
      'BAD_CHECKPOINT_KEY',
      `"${key}" is not a checkpoint manifest key (checkpoints/<w>/manifest.json)`,
    );
  }
  if (parsed.run !== runId)
    throw badRequest('BAD_CHECKPOINT_KEY', `"${key}" is of run "${parsed.run}", not "${runId}"`);
  if (BigInt(parsed.window) !== window) {
    throw badRequest(
      'BAD_CHECKPOINT_KEY',
      `"${key}" is the checkpoint of window ${parsed.window}, not ${window}`,
    );
  }
  return { run: parsed.run, window: parsed.window };
}

async function fetchManifest(
  store: StoreClient,
  key: string,
  run: string,
  window: number,
  pin: Uint8Array,
): Promise<CheckpointManifest> {
  const object = await store.get(key);
  if (object === undefined) throw checkpointError('CHECKPOINT_MISSING', `no checkpoint manifest at ${key}`);
  const hash = pin.length > 0 ? hex(blake2b256(object.bytes)) : '';
  if (hash !== hex(pin)) {
    throw checkpointError(
      'CHECKPOINT_CORRUPT',
      `${key} hashes to ${hash}, not the ${hex(pin)} the caller checked (MANIFEST_CHANGED)`,
    );
  }
  try {
    return parseCheckpointManifest(object.bytes, { runId: run, window });
  } catch (error) {
    if (error instanceof CheckpointManifestError) {
      throw checkpointError('CHECKPOINT_CORRUPT', `${key}: ${error.message} (${error.reason})`);
    }
    throw error;
  }
}

/** Stream `key` to `path` (never whole in memory: 1B's fp32 weights exceed one JavaScript buffer). */
async function fetchFile(
  store: StoreClient,
  key: string,
  entry: CheckpointManifest['model'],
  path: string,
): Promise<number> {
  const info = await store.getToFile(key, path, {
    check: (stored) => {
      const mismatch = fileEntryMismatch(key, stored, entry);
      if (mismatch !== undefined) throw checkpointError('CHECKPOINT_CORRUPT', mismatch);
    },
  });
  if (info === undefined)
    throw checkpointError('CHECKPOINT_MISSING', `the manifest names ${key}, which is absent`);
  return entry.sizeBytes;
}

/**
 * Load the checkpoint whose manifest is `key` into the replica as window `window`'s state. `pin` is the
 * BLAKE2b-256 the manifest's bytes must have (empty: none). Returns θ_w's fingerprint and the bytes
 * downloaded.
 */
export async function loadCheckpointFromStore(
  store: StoreClient,
  replica: Replica,
  key: string,
  window: bigint,
  pin: Uint8Array = new Uint8Array(),
): Promise<{ fingerprint: Uint8Array; downloadedBytes: number }> {
  if (pin.length !== 0 && pin.length !== 32)
    throw badRequest('BAD_CHECKPOINT_PIN', `manifest_blake2b256 has ${pin.length} bytes, not 32`);
  const target = manifestTarget(key, replica.deps.runId, window);
  const manifest = await fetchManifest(store, key, target.run, target.window, pin);
  const keys = checkpointKeys(target.run, target.window);
  const dir = await mkdtemp(join(tmpdir(), 'cohort-checkpoint-'));
  try {
    let downloaded = await fetchFile(store, keys.model, manifest.model, join(dir, 'model.safetensors'));
    downloaded += await fetchFile(store, keys.config, manifest.config, join(dir, 'config.json'));
    let fingerprint: Uint8Array;
    try {
      fingerprint = await replica.load(dir, window, manifest.model.blake2b256);
    } catch (error) {
      throw checkpointError(
        'CHECKPOINT_CORRUPT',
        `${key}: the engine refused the checkpoint: ${String(error)}`,
      );
    }
    if (hex(fingerprint) !== manifest.stateFingerprint) {
      replica.forget();
      throw checkpointError(
        'CHECKPOINT_CORRUPT',
        `${key}: the loaded state's fingerprint ${hex(fingerprint)} is not the manifest's ${manifest.stateFingerprint}`,
      );
    }
    return { fingerprint, downloadedBytes: downloaded };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
