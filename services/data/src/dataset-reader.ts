/**
 * Opens a `cohort-shards/1` dataset for training and evaluation: validates manifest.json, checks every
 * file's size against it (and, with `verify`, hashes, token ranges and ids), then serves samples by
 * index with one positioned range read each. Works over any {@link DatasetStore}: local disk today,
 * object-store range reads later. (The C++ engine reads the same files memory-mapped.)
 */
import { DataError } from './data-error.js';
import { ID_BYTES, parseManifest, TOKEN_BYTES } from './manifest.js';
import type { Manifest, ShardEntry, ShardFile, Split } from './manifest.js';
import type { DatasetStore, RangeSource } from './range-source.js';
import { outOfRangeToken, verifyShard } from './shard-verify.js';
import { bytesAsTokens } from './token-bytes.js';

/** Options of {@link openDataset}. */
export interface OpenDatasetOptions {
  /**
   * Hash every file and check every token and id before returning (one full read of the dataset).
   * Default false: sizes are always checked, and each sample read checks its tokens' range.
   */
  readonly verify?: boolean;
}

/** Sample access to one shard. */
export interface ShardReader {
  readonly entry: ShardEntry;
  /** The `seqLen` tokens of sample `index` (0-based within the shard). */
  readSample(index: number): Promise<Uint32Array>;
  /** The stored 64-bit id of sample `index`. */
  readSampleId(index: number): Promise<bigint>;
}

/** An open dataset; `close` releases its files. */
export interface Dataset {
  readonly manifest: Manifest;
  readonly shards: readonly ShardReader[];
  /** The shard named `name` (SAMPLE_NOT_FOUND if there is none). */
  shard(name: string): ShardReader;
  /** The shards of one split, in manifest order. */
  split(split: Split): readonly ShardReader[];
  close(): Promise<void>;
}

/** Open one of a manifest's files, checking its size against the manifest (SHARD_SIZE_MISMATCH). */
export async function openChecked(store: DatasetStore, file: ShardFile): Promise<RangeSource> {
  const source = await store.open(file.file);
  if (source.size !== file.bytes) {
    await source.close();
    throw new DataError(
      'SHARD_SIZE_MISMATCH',
      `${file.file} in ${store.location} has ${source.size} bytes but the manifest says ${file.bytes}`,
      { details: { file: file.file, size: source.size, expected: file.bytes } },
    );
  }
  return source;
}

function shardReader(
  entry: ShardEntry,
  manifest: Manifest,
  tokens: RangeSource,
  ids: RangeSource,
): ShardReader {
  const sampleBytes = manifest.seqLen * TOKEN_BYTES;
  const check = (index: number): void => {
    if (!Number.isSafeInteger(index) || index < 0 || index >= entry.samples) {
      const message = `shard ${entry.name} has samples [0, ${entry.samples}); asked for ${index}`;
      throw new DataError('SAMPLE_NOT_FOUND', message, { details: { shard: entry.name, index } });
    }
  };
  return {
    entry,
    async readSample(index) {
      check(index);
      const values = bytesAsTokens(await tokens.readRange(index * sampleBytes, sampleBytes));
      const problem = outOfRangeToken(
        values,
        manifest.tokenizer.vocabSize,
        entry.name,
        index,
        manifest.seqLen,
      );
      if (problem !== undefined) throw problem;
      return values;
    },
    async readSampleId(index) {
      check(index);
      const bytes = await ids.readRange(index * ID_BYTES, ID_BYTES);
      return new DataView(bytes.buffer, bytes.byteOffset, ID_BYTES).getBigUint64(0, true);
    },
  };
}

/** Open the dataset in `store`; throws a DataError naming the first problem. */
export async function openDataset(store: DatasetStore, options: OpenDatasetOptions = {}): Promise<Dataset> {
  const manifestSource = await store.open('manifest.json');
  let manifest: Manifest;
  try {
    manifest = parseManifest(
      new TextDecoder().decode(await manifestSource.readRange(0, manifestSource.size)),
    );
  } finally {
    await manifestSource.close();
  }
  const sources: RangeSource[] = [];
  const closeAll = async (): Promise<void> => {
    for (const source of sources.splice(0)) await source.close();
  };
  try {
    const shards: ShardReader[] = [];
    for (const entry of manifest.shards) {
      const tokens = await openChecked(store, entry.tokens);
      sources.push(tokens);
      const ids = await openChecked(store, entry.ids);
      sources.push(ids);
      if (options.verify === true)
        await verifyShard(entry, manifest.seqLen, manifest.tokenizer.vocabSize, tokens, ids);
      shards.push(shardReader(entry, manifest, tokens, ids));
    }
    return {
      manifest,
      shards,
      shard(name) {
        const found = shards.find((s) => s.entry.name === name);
        if (found === undefined) {
          throw new DataError('SAMPLE_NOT_FOUND', `no shard ${JSON.stringify(name)} in ${store.location}`, {
            details: { shard: name },
          });
        }
        return found;
      },
      split: (split) => shards.filter((s) => s.entry.split === split),
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
