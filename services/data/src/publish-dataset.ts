/**
 * Upload a prepared dataset to an object store under a key prefix, so workers read it by range
 * (`datasetPrefix`, see dataset-cache.ts) instead of needing a local copy. The dataset is verified in
 * full first (a corrupt local copy is never published); each file goes up with its manifest hash, which
 * the store checks end to end; `manifest.json` goes last, so a reader never finds a manifest naming
 * files that are not there yet. Publishing again is a no-op per file (the store keeps identical bytes).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { blake2b256 } from '@cohort/core';
import { openDataset } from './dataset-reader.js';
import { createLocalStore } from './local-store.js';
import { datasetPrefix } from './object-store-source.js';

/** The one object-store call publishing needs. `StoreClient` of `@cohort/kit` has it. */
export interface ObjectFileWriter {
  /** Stream the file at `path` to `key`, checked against `blake2b256`; `created` is false when already there. */
  putFile(
    key: string,
    path: string,
    options: { readonly blake2b256: Uint8Array },
  ): Promise<{ readonly created: boolean }>;
}

/** One uploaded file. */
export interface PublishedFile {
  readonly key: string;
  readonly bytes: number;
  /** False when the store already held these bytes under the key. */
  readonly created: boolean;
}

/** What {@link publishDataset} did. */
export interface PublishSummary {
  readonly prefix: string;
  readonly files: readonly PublishedFile[];
  /** Lowercase hex BLAKE2b-256 of manifest.json: what workers pin as `datasetManifestHash`. */
  readonly manifestBlake2b256: string;
}

/** Verify the dataset in `dir` and upload it under `prefix`; `onFile` reports progress. */
export async function publishDataset(
  writer: ObjectFileWriter,
  dir: string,
  prefix: string,
  onFile?: (file: PublishedFile) => void,
): Promise<PublishSummary> {
  const folder = datasetPrefix(prefix);
  const dataset = await openDataset(createLocalStore(dir), { verify: true });
  await dataset.close();
  const manifestPath = join(dir, 'manifest.json');
  const manifestBytes = await readFile(manifestPath);
  const uploads = dataset.manifest.shards.flatMap((shard) => [shard.ids, shard.tokens]);
  const files: PublishedFile[] = [];
  const put = async (file: string, bytes: number, hash: Uint8Array): Promise<void> => {
    const key = folder + file;
    const { created } = await writer.putFile(key, join(dir, file), { blake2b256: hash });
    const done = { key, bytes, created };
    files.push(done);
    onFile?.(done);
  };
  for (const f of uploads) await put(f.file, f.bytes, Uint8Array.from(Buffer.from(f.blake2b256, 'hex')));
  const manifestHash = blake2b256(manifestBytes);
  await put('manifest.json', manifestBytes.length, manifestHash);
  return { prefix: folder, files, manifestBlake2b256: Buffer.from(manifestHash).toString('hex') };
}
