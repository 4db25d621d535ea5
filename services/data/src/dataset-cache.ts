/**
 * A local, sparse copy of a dataset that lives in an object store: what lets a worker train on a dataset
 * of any size without downloading it. Opening it fetches and checks the manifest (against a pinned
 * BLAKE2b-256 when given) and the small `.ids` files (whole, hash-checked), and lays out each `.tokens`
 * file at its full size as a sparse file. The C++ engine then memory-maps the local copy as usual, and
 * before each training or evaluation call the worker asks {@link DatasetCache.ensure} for exactly the
 * samples it will read: the missing ones are fetched by ranged GETs, every sample is checked against its
 * id (the first 8 bytes of BLAKE2b-256 of its tokens, from the verified `.ids` file) and its token range,
 * written in place and flushed, and only then marked present (see presence-file.ts). A store that serves
 * wrong bytes is refused with SAMPLE_ID_MISMATCH and nothing of that sample is kept; a crash at any
 * point leaves at worst samples that are fetched again.
 */
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { blake2b256, forEachLimited, IllegalStateError } from '@cohort/core';
import { writeFileAtomic } from './atomic-file.js';
import { openChecked } from './dataset-reader.js';
import { lockCacheDir } from './cache-lock.js';
import { DataError } from './data-error.js';
import { ID_BYTES, parseManifest, TOKEN_BYTES } from './manifest.js';
import type { Manifest, ShardEntry, Split } from './manifest.js';
import { loadPresence, PresenceSet, savePresence } from './presence-file.js';
import type { DatasetStore, RangeSource } from './range-source.js';
import { planRanges } from './range-plan.js';
import type { SampleRange } from './range-plan.js';
import { checkSamples } from './shard-verify.js';

/** Options of {@link openDatasetCache}. */
export interface DatasetCacheOptions {
  /** Where the dataset lives (usually {@link createObjectStoreSource}). */
  readonly source: DatasetStore;
  /** The local cache directory (created when missing); one dataset per directory. */
  readonly dir: string;
  /** Lowercase hex BLAKE2b-256 of the dataset's manifest.json: refuse any other manifest (recommended). */
  readonly manifestBlake2b256?: string;
  /** Largest ranged GET, in bytes (default 8 MiB; at least one sample). */
  readonly maxRangeBytes?: number;
  /** Unwanted bytes a GET may span to join two wanted samples (default 64 KiB). */
  readonly maxGapBytes?: number;
  /** Ranged GETs in flight at once (default 4). */
  readonly concurrency?: number;
  /** Largest manifest.json accepted (default 16 MiB). */
  readonly maxManifestBytes?: number;
}

/** What one {@link DatasetCache.ensure} call did. */
export interface EnsureStats {
  /** Wanted samples that were already local. */
  readonly hits: number;
  /** Samples fetched, verified and stored (wanted ones and the gap samples that came with them). */
  readonly fetched: number;
  /** Ranged GETs sent. */
  readonly ranges: number;
  /** Bytes fetched. */
  readonly bytes: number;
}

/** An open dataset cache; the engine reads {@link DatasetCache.manifestPath}. */
export interface DatasetCache {
  readonly manifest: Manifest;
  /** The local manifest.json, identical to the store's, for the engine's `openDataset`. */
  readonly manifestPath: string;
  /** Lowercase hex BLAKE2b-256 of manifest.json. */
  readonly manifestBlake2b256: string;
  /**
   * Make the samples `indices` of `split` (split-wide indices, as the engine takes them) local and
   * verified. Calls run one at a time. Throws SAMPLE_NOT_FOUND for an index outside the split,
   * SAMPLE_ID_MISMATCH / TOKEN_OUT_OF_RANGE for bytes that are not the dataset's, or the store's error;
   * samples verified before a failure stay stored.
   */
  ensure(
    split: Split,
    indices: ArrayLike<number>,
    options?: { readonly signal?: AbortSignal },
  ): Promise<EnsureStats>;
  /** Samples held locally and in all. */
  presence(): { readonly present: number; readonly total: number };
  /** Close the local files (waits for a running `ensure`). */
  close(): Promise<void>;
}

interface CachedShard {
  readonly entry: ShardEntry;
  readonly tokensHash: Uint8Array;
  readonly ids: Uint8Array;
  readonly present: PresenceSet;
  readonly presencePath: string;
  readonly handle: FileHandle;
  /** The store's `.tokens` file, opened (and size-checked) once at open. */
  readonly remote: RangeSource;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const MANIFEST = 'manifest.json';
const presenceFile = (entry: ShardEntry): string => `${entry.name}.present`;

async function readWhole(source: DatasetStore, file: string, maxBytes: number): Promise<Uint8Array> {
  const handle = await source.open(file);
  try {
    if (handle.size > maxBytes) {
      throw new DataError(
        'SHARD_MANIFEST_INVALID',
        `${source.location}${file} has ${handle.size} bytes, over ${maxBytes}`,
        {
          details: { file, size: handle.size },
        },
      );
    }
    return await handle.readRange(0, handle.size);
  } finally {
    await handle.close();
  }
}

/** The remote manifest, checked against the pin; its bytes are what the local copy must equal. */
async function fetchManifest(
  options: DatasetCacheOptions,
): Promise<{ bytes: Uint8Array; manifest: Manifest; hash: string }> {
  const bytes = await readWhole(options.source, MANIFEST, options.maxManifestBytes ?? 16 << 20);
  const hash = hex(blake2b256(bytes));
  const pinned = options.manifestBlake2b256?.toLowerCase();
  if (pinned !== undefined && pinned !== hash) {
    throw new DataError(
      'MANIFEST_HASH_MISMATCH',
      `${options.source.location}${MANIFEST} hashes to ${hash}, not the pinned ${pinned}`,
      { details: { expected: pinned, actual: hash } },
    );
  }
  return { bytes, manifest: parseManifest(new TextDecoder().decode(bytes)), hash };
}

/** Remove a previous dataset's files (only names its manifest lists, and their presence files). */
async function clearPrevious(dir: string): Promise<void> {
  const old = await readFile(join(dir, MANIFEST), 'utf8').catch(() => undefined);
  await rm(join(dir, MANIFEST), { force: true }); // first: never a manifest over foreign files
  if (old === undefined) return;
  let manifest: Manifest;
  try {
    manifest = parseManifest(old);
  } catch {
    return; // not one of ours: leave its files alone
  }
  for (const entry of manifest.shards) {
    for (const file of [entry.tokens.file, entry.ids.file, presenceFile(entry)]) {
      await rm(join(dir, file), { force: true });
    }
  }
}

/** The shard's `.ids` file, local and hash-checked: reused when intact, else fetched whole. */
async function localIds(
  source: DatasetStore,
  dir: string,
  entry: ShardEntry,
  chunk: number,
): Promise<Uint8Array> {
  const path = join(dir, entry.ids.file);
  const existing = await readFile(path).catch(() => undefined);
  if (existing?.length === entry.ids.bytes && hex(blake2b256(existing)) === entry.ids.blake2b256) {
    return new Uint8Array(existing);
  }
  const remote = await openChecked(source, entry.ids);
  const bytes = new Uint8Array(entry.ids.bytes);
  try {
    for (let at = 0; at < bytes.length; at += chunk) {
      bytes.set(await remote.readRange(at, Math.min(chunk, bytes.length - at)), at);
    }
  } finally {
    await remote.close();
  }
  const actual = hex(blake2b256(bytes));
  if (actual !== entry.ids.blake2b256) {
    throw new DataError(
      'SHARD_HASH_MISMATCH',
      `${source.location}${entry.ids.file}: BLAKE2b-256 is ${actual} but the manifest says ${entry.ids.blake2b256}`,
      { details: { file: entry.ids.file, expected: entry.ids.blake2b256, actual } },
    );
  }
  await writeFileAtomic(path, bytes);
  return bytes;
}

/** The shard's sparse `.tokens` file and its presence set, reset together when they do not match. */
async function localTokens(
  dir: string,
  entry: ShardEntry,
): Promise<{ handle: FileHandle; present: PresenceSet; tokensHash: Uint8Array }> {
  const tokensHash = Uint8Array.from(Buffer.from(entry.tokens.blake2b256, 'hex'));
  const path = join(dir, entry.tokens.file);
  const presencePath = join(dir, presenceFile(entry));
  const size = await stat(path).then(
    (s) => s.size,
    () => -1,
  );
  let present =
    size === entry.tokens.bytes ? await loadPresence(presencePath, tokensHash, entry.samples) : undefined;
  if (present === undefined) {
    present = new PresenceSet(entry.samples);
    await savePresence(presencePath, present, tokensHash); // empty first, then a fresh file
    const fresh = await open(path, 'w');
    try {
      await fresh.truncate(entry.tokens.bytes);
      await fresh.sync();
    } finally {
      await fresh.close();
    }
  }
  return { handle: await open(path, 'r+'), present, tokensHash };
}

/** Check the fetched samples `range` of `shard` against their ids and the vocabulary. */
function verifyRange(shard: CachedShard, manifest: Manifest, range: SampleRange, bytes: Uint8Array): void {
  const ids = shard.ids.subarray(range.first * ID_BYTES, (range.first + range.count) * ID_BYTES);
  const problem = checkSamples(
    shard.entry.name,
    range.first,
    bytes,
    ids,
    manifest.seqLen,
    manifest.tokenizer.vocabSize,
  );
  if (problem !== undefined) throw problem;
}

/**
 * Open (or resume) the cache of the dataset in `options.source` under `options.dir`. A cache directory
 * that holds another dataset is cleared of that dataset's files first. Throws a DataError naming the
 * first problem: MANIFEST_HASH_MISMATCH, SHARD_MANIFEST_INVALID, SHARD_FILE_MISSING, SHARD_SIZE_MISMATCH,
 * SHARD_HASH_MISMATCH (an `.ids` file), OUTPUT_UNWRITABLE (the directory).
 */
export async function openDatasetCache(options: DatasetCacheOptions): Promise<DatasetCache> {
  const { source, dir } = options;
  const remote = await fetchManifest(options);
  const { manifest } = remote;
  const sampleBytes = manifest.seqLen * TOKEN_BYTES;
  const maxRangeBytes = Math.max(sampleBytes, options.maxRangeBytes ?? 8 << 20);
  const limits = {
    maxSamples: Math.floor(maxRangeBytes / sampleBytes),
    maxGap: Math.floor((options.maxGapBytes ?? 64 << 10) / sampleBytes),
  };
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  await mkdir(dir, { recursive: true }).catch((cause: unknown) => {
    throw new DataError('OUTPUT_UNWRITABLE', `cannot create the dataset cache ${dir}`, {
      cause,
      details: { dir },
    });
  });
  const unlock = await lockCacheDir(dir);
  const manifestPath = join(dir, MANIFEST);

  const shards: CachedShard[] = [];
  let locked = true;
  const closeAll = async (): Promise<void> => {
    for (const shard of shards.splice(0)) {
      await shard.handle.close();
      await shard.remote.close();
    }
    if (locked) {
      locked = false;
      await unlock();
    }
  };
  try {
    const local = await readFile(manifestPath).catch(() => undefined);
    if (local === undefined || hex(blake2b256(local)) !== remote.hash) await clearPrevious(dir);
    for (const entry of manifest.shards) {
      const ids = await localIds(source, dir, entry, maxRangeBytes);
      const remote = await openChecked(source, entry.tokens);
      const tokens = await localTokens(dir, entry).catch(async (error: unknown) => {
        await remote.close();
        throw error;
      });
      shards.push({ entry, ids, ...tokens, remote, presencePath: join(dir, presenceFile(entry)) });
    }
    await writeFileAtomic(manifestPath, remote.bytes); // last: the engine may open the copy from now on
  } catch (error) {
    await closeAll();
    throw error;
  }

  const bySplit = (split: Split): CachedShard[] => shards.filter((s) => s.entry.split === split);
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  async function fetchInto(
    shard: CachedShard,
    ranges: readonly SampleRange[],
    signal?: AbortSignal,
  ): Promise<{ fetched: number; bytes: number }> {
    let fetched = 0;
    let bytes = 0;
    const stored: SampleRange[] = [];
    try {
      // No range starts after a failure, and every range in flight ends before the presence is saved.
      await forEachLimited(ranges, concurrency, async (range) => {
        signal?.throwIfAborted();
        const data = await shard.remote.readRange(range.first * sampleBytes, range.count * sampleBytes);
        verifyRange(shard, manifest, range, data);
        let written = 0;
        while (written < data.length) {
          const r = await shard.handle.write(
            data,
            written,
            data.length - written,
            range.first * sampleBytes + written,
          );
          written += r.bytesWritten;
        }
        stored.push(range);
        fetched += range.count;
        bytes += data.length;
      });
    } finally {
      if (stored.length > 0) {
        // Flush the bytes before any bit says they are there.
        await shard.handle.datasync();
        for (const range of stored) for (let s = 0; s < range.count; s++) shard.present.add(range.first + s);
        await savePresence(shard.presencePath, shard.present, shard.tokensHash);
      }
    }
    return { fetched, bytes };
  }

  async function ensureNow(
    split: Split,
    indices: ArrayLike<number>,
    signal?: AbortSignal,
  ): Promise<EnsureStats> {
    if (closed)
      throw new IllegalStateError(`the dataset cache ${dir} is closed`, { reason: 'DATASET_CLOSED' });
    const parts = bySplit(split);
    const starts: number[] = [];
    let total = 0;
    for (const shard of parts) {
      starts.push(total);
      total += shard.entry.samples;
    }
    const missing = new Map<CachedShard, number[]>();
    let hits = 0;
    for (let i = 0; i < indices.length; i++) {
      const index = indices[i]!;
      if (!Number.isSafeInteger(index) || index < 0 || index >= total) {
        throw new DataError(
          'SAMPLE_NOT_FOUND',
          `split ${split} has samples [0, ${total}); asked for ${index}`,
          {
            details: { split, index },
          },
        );
      }
      let k = parts.length - 1;
      while (starts[k]! > index) k--;
      const shard = parts[k]!;
      const sample = index - starts[k]!;
      if (shard.present.has(sample)) {
        hits++;
        continue;
      }
      const list = missing.get(shard);
      if (list === undefined) missing.set(shard, [sample]);
      else list.push(sample);
    }
    let fetched = 0;
    let bytes = 0;
    let ranges = 0;
    for (const [shard, samples] of missing) {
      const plan = planRanges(samples, limits);
      ranges += plan.length;
      const done = await fetchInto(shard, plan, signal);
      fetched += done.fetched;
      bytes += done.bytes;
    }
    return { hits, fetched, ranges, bytes };
  }

  return {
    manifest,
    manifestPath,
    manifestBlake2b256: remote.hash,
    ensure(split, indices, ensureOptions = {}) {
      const run = queue.then(() => ensureNow(split, indices, ensureOptions.signal));
      queue = run.catch(() => undefined);
      return run;
    },
    presence() {
      let present = 0;
      let total = 0;
      for (const shard of shards) {
        present += shard.present.count;
        total += shard.entry.samples;
      }
      return { present, total };
    },
    async close() {
      closed = true;
      await queue;
      await closeAll();
    },
  };
}
