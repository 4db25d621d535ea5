/**
 * `prepare`: a corpus in, a `cohort-shards/1` dataset out. Pass 1 counts the documents and draws the
 * held-out ones; pass 2 tokenizes each document, appends EOS, and streams it into its split's shard
 * writer. Shard files are committed as they fill and manifest.json is written last, atomically, so a
 * crash never leaves a manifest that points at missing or partial files; on an error everything this
 * call wrote is removed, the output directory too when this call created it.
 */
import { mkdir, readdir, rmdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CohortError, expectedMessage } from '@cohort/core';
import type { Corpus } from './corpus.js';
import { DataError } from './data-error.js';
import { heldOutDocuments } from './held-out-split.js';
import { formatManifest, SHARD_FORMAT } from './manifest.js';
import type { Manifest, ShardEntry, Split } from './manifest.js';
import { createShardWriter } from './shard-writer.js';
import type { ShardWriter, SplitResult } from './shard-writer.js';
import { writeFileAtomic } from './atomic-file.js';
import { createGpt2Tokenizer } from './tokenizer.js';
import type { Tokenizer } from './tokenizer.js';

/** Progress of a prepare run, for a CLI to print sparingly. */
export type PrepareProgress =
  | { readonly event: 'counting_documents'; readonly corpus: string }
  | { readonly event: 'documents_counted'; readonly documents: number; readonly heldOut: number }
  | { readonly event: 'shard_written'; readonly shard: ShardEntry };

/** Options of {@link prepareDataset}. */
export interface PrepareOptions {
  readonly corpus: Corpus;
  /** Output directory; created if missing, and must be empty. */
  readonly outDir: string;
  /** Tokens per sample (default 128; the production preset uses 2048). */
  readonly seqLen?: number;
  /** Share of documents held out for evaluation, in [0, 1) (default 0.1). */
  readonly heldOutFraction?: number;
  /** Seed of the held-out draw (default 0). */
  readonly seed?: number;
  /** Most samples per shard (default 65536). */
  readonly samplesPerShard?: number;
  /** Default: GPT-2 from gpt-tokenizer. */
  readonly tokenizer?: Tokenizer;
  readonly onProgress?: (progress: PrepareProgress) => void;
}

/** What a prepare run wrote. */
export interface PrepareSummary {
  readonly manifestPath: string;
  readonly manifest: Manifest;
  readonly documents: number;
  readonly heldOutDocuments: number;
  readonly train: SplitResult;
  readonly heldout: SplitResult;
}

function check(name: string, value: number, ok: boolean, expected: string): void {
  if (!ok) {
    throw new DataError('DATA_INVALID_OPTION', expectedMessage(expected, name, value), {
      details: { option: name },
    });
  }
}

const isInt = (v: number, min: number, max: number): boolean =>
  Number.isSafeInteger(v) && v >= min && v <= max;

async function* nonEmpty(corpus: Corpus): AsyncGenerator<string> {
  for await (const document of corpus.documents()) if (document.trim() !== '') yield document;
}

async function countDocuments(corpus: Corpus): Promise<number> {
  let count = 0;
  for await (const document of corpus.documents()) if (document.trim() !== '') count += 1;
  return count;
}

function corpusChanged(before: number, after: string): DataError {
  return new DataError(
    'INPUT_CHANGED',
    `the corpus changed while preparing: ${before} documents, then ${after}`,
  );
}

/** Create `dir` if missing and check it is empty; resolves to the topmost directory created, if any. */
async function ensureEmptyDir(dir: string): Promise<string | undefined> {
  try {
    const created = await mkdir(dir, { recursive: true });
    const entries = await readdir(dir);
    if (entries.length > 0) {
      const message = `output directory ${dir} is not empty; choose a new one or empty it`;
      throw new DataError('OUTPUT_NOT_EMPTY', message, { details: { dir } });
    }
    return created;
  } catch (err) {
    if (err instanceof CohortError) throw err;
    throw new DataError('OUTPUT_UNWRITABLE', `cannot create output directory ${dir}`, {
      cause: err,
      details: { dir },
    });
  }
}

/**
 * Remove `dir` and its parents up to `created` (what {@link ensureEmptyDir} made) after a failure. Only
 * empty directories go: one that holds anything (someone else's file) ends the walk and stays.
 */
async function removeCreatedDirs(dir: string, created: string | undefined): Promise<void> {
  if (created === undefined) return;
  const top = resolve(created);
  for (let d = resolve(dir); ; d = dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return; // not empty or already gone: leave it, the caller's error is the one to report
    }
    if (d === top || dirname(d) === d) return;
  }
}

/** Tokenize `options.corpus` into a dataset in `options.outDir`; resolves once manifest.json is in place. */
export async function prepareDataset(options: PrepareOptions): Promise<PrepareSummary> {
  const seqLen = options.seqLen ?? 128;
  const fraction = options.heldOutFraction ?? 0.1;
  const seed = options.seed ?? 0;
  const samplesPerShard = options.samplesPerShard ?? 65536;
  check('seqLen', seqLen, isInt(seqLen, 1, 1 << 20), 'an integer in [1, 1048576]');
  check('heldOutFraction', fraction, fraction >= 0 && fraction < 1, 'a number in [0, 1)');
  check('seed', seed, isInt(seed, 0, Number.MAX_SAFE_INTEGER), 'a non-negative safe integer');
  check('samplesPerShard', samplesPerShard, isInt(samplesPerShard, 1, 2 ** 31), 'an integer in [1, 2^31]');
  const tokenizer = options.tokenizer ?? createGpt2Tokenizer();
  const { corpus, outDir, onProgress } = options;

  const created = await ensureEmptyDir(outDir);
  const writer = (split: Split): ShardWriter =>
    createShardWriter({
      dir: outDir,
      split,
      seqLen,
      samplesPerShard,
      vocabSize: tokenizer.vocabSize,
      onShard: (shard) => onProgress?.({ event: 'shard_written', shard }),
    });
  const writers: Record<Split, ShardWriter> = { train: writer('train'), heldout: writer('heldout') };

  try {
    onProgress?.({ event: 'counting_documents', corpus: corpus.name });
    const documents = await countDocuments(corpus);
    const heldOut = heldOutDocuments(documents, fraction, seed);
    onProgress?.({ event: 'documents_counted', documents, heldOut: heldOut.size });
    let index = 0;
    for await (const document of nonEmpty(corpus)) {
      if (index === documents) throw corpusChanged(documents, 'more');
      const tokens = tokenizer.encode(document);
      tokens.push(tokenizer.eosToken);
      await writers[heldOut.has(index) ? 'heldout' : 'train'].append(tokens);
      index += 1;
    }
    if (index !== documents) throw corpusChanged(documents, String(index));
    const train = await writers.train.finish();
    const heldout = await writers.heldout.finish();
    if (train.samples === 0) {
      throw new DataError(
        'CORPUS_TOO_SMALL',
        `the train split has ${train.tokens} tokens: not one sample of ${seqLen}`,
        { details: { tokens: train.tokens, seqLen } },
      );
    }
    const manifest: Manifest = {
      format: SHARD_FORMAT,
      tokenizer: {
        name: tokenizer.name,
        package: tokenizer.package,
        vocabSize: tokenizer.vocabSize,
        eosToken: tokenizer.eosToken,
      },
      seqLen,
      source: { corpus: corpus.name, documents, heldOutFraction: fraction, seed },
      shards: [...train.shards, ...heldout.shards],
    };
    const manifestPath = join(outDir, 'manifest.json');
    await writeFileAtomic(manifestPath, new TextEncoder().encode(formatManifest(manifest)));
    return { manifestPath, manifest, documents, heldOutDocuments: heldOut.size, train, heldout };
  } catch (err) {
    await writers.train.abort();
    await writers.heldout.abort();
    await removeCreatedDirs(outDir, created);
    throw err;
  }
}
