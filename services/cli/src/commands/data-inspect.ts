/**
 * `cohort data inspect <dir>`: what a dataset holds (manifest summary, one line per shard) after a
 * full verification: file sizes and BLAKE2b-256 hashes, token ids below the vocabulary, sample ids.
 */
import { CohortError, Code } from '@cohort/core';
import { createLocalStore, openDataset } from '@cohort/data';
import { parseFlags } from './parse-flags.js';

/** Usage of `cohort data inspect`. */
export const inspectUsage = 'usage: cohort data inspect <dir>';

/** Run `cohort data inspect <args>`; a dataset that fails verification throws its DataError. */
export async function dataInspect(args: readonly string[]): Promise<string> {
  const dir = parseFlags(args, {}, 1).positionals[0];
  if (dir === undefined) {
    throw new CohortError(Code.InvalidArgument, `a dataset directory is required\n\n${inspectUsage}`, {
      reason: 'MISSING_ARGUMENT',
    });
  }
  const dataset = await openDataset(createLocalStore(dir), { verify: true });
  await dataset.close();
  const { manifest } = dataset;
  const { tokenizer, source } = manifest;
  const width = Math.max(5, ...manifest.shards.map((s) => s.name.length));
  const rows = manifest.shards.map(
    (s) =>
      `  ${s.name.padEnd(width)}  ${s.split.padEnd(7)}  ${String(s.samples).padStart(9)}  ${String(s.tokens.bytes).padStart(13)}  ${s.tokens.blake2b256.slice(0, 16)}…`,
  );
  const samples = (split: string): number =>
    manifest.shards.filter((s) => s.split === split).reduce((n, s) => n + s.samples, 0);
  return [
    `dataset ${dir}: ${manifest.format}, seq_len ${manifest.seqLen}`,
    `tokenizer: ${tokenizer.name} (${tokenizer.package}), vocab ${tokenizer.vocabSize}, eos ${tokenizer.eosToken}`,
    `source: ${source.corpus}, ${source.documents} documents, held-out fraction ${source.heldOutFraction}, seed ${source.seed}`,
    '',
    `  ${'shard'.padEnd(width)}  split    ${'samples'.padStart(9)}  ${'token bytes'.padStart(13)}  blake2b256`,
    ...rows,
    '',
    `train ${samples('train')} samples, held out ${samples('heldout')} samples`,
    `verified: sizes, BLAKE2b-256 hashes, token ids < ${tokenizer.vocabSize} and sample ids of ${manifest.shards.length} shards`,
  ].join('\n');
}
