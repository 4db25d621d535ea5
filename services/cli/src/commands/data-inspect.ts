/**
 * `cohort data inspect <dir>` or `--store <host:port> --prefix <p>`: what a dataset holds (manifest
 * summary, one line per shard) after a full verification: file sizes and BLAKE2b-256 hashes, token ids
 * below the vocabulary, sample ids. Through the store, it is the check that a published dataset is
 * whole before workers are pointed at it (they verify only the samples they fetch).
 */
import { blake2b256, CohortError, Code } from '@cohort/core';
import { createLocalStore, createObjectStoreSource, openDataset } from '@cohort/data';
import type { DatasetStore } from '@cohort/data';
import { StoreClient } from '@cohort/kit';
import { parseFlags, stringFlag } from './parse-flags.js';

/** Usage of `cohort data inspect`. */
export const inspectUsage = `usage: cohort data inspect <dir>
       cohort data inspect --store <host:port> --prefix <key prefix>   (a published dataset)`;

function misuse(message: string, reason: string): CohortError {
  return new CohortError(Code.InvalidArgument, `${message}\n\n${inspectUsage}`, { reason });
}

/** Run `cohort data inspect <args>`; a dataset that fails verification throws its DataError. */
export async function dataInspect(args: readonly string[]): Promise<string> {
  const flags = parseFlags(args, { store: { type: 'string' }, prefix: { type: 'string' } }, 1, inspectUsage);
  const dir = flags.positionals[0];
  const address = stringFlag(flags, 'store');
  const prefix = stringFlag(flags, 'prefix');
  if (dir !== undefined) {
    if (address !== undefined || prefix !== undefined) {
      throw misuse('a directory and --store/--prefix exclude each other', 'FLAG_CONFLICT');
    }
    return inspectStore(createLocalStore(dir), dir);
  }
  if (address === undefined && prefix === undefined) {
    throw misuse('a dataset directory (or --store and --prefix) is required', 'MISSING_ARGUMENT');
  }
  if (address === undefined) throw misuse('--prefix needs --store', 'MISSING_FLAG');
  if (prefix === undefined) throw misuse('--store needs --prefix', 'MISSING_FLAG');
  const where = `store ${address}`;
  const client = new StoreClient(address);
  try {
    const source = createObjectStoreSource(client, { prefix, where });
    return await inspectStore(source, source.location);
  } finally {
    client.close();
  }
}

async function manifestHash(store: DatasetStore): Promise<string> {
  const file = await store.open('manifest.json');
  try {
    return Buffer.from(blake2b256(await file.readRange(0, file.size))).toString('hex');
  } finally {
    await file.close();
  }
}

/** The verified report of the dataset in `store`, titled `name`. */
async function inspectStore(store: DatasetStore, name: string): Promise<string> {
  const dataset = await openDataset(store, { verify: true });
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
    `dataset ${name}: ${manifest.format}, seq_len ${manifest.seqLen}`,
    `tokenizer: ${tokenizer.name} (${tokenizer.package}), vocab ${tokenizer.vocabSize}, eos ${tokenizer.eosToken}`,
    `source: ${source.corpus}, ${source.documents} documents, held-out fraction ${source.heldOutFraction}, seed ${source.seed}`,
    '',
    `  ${'shard'.padEnd(width)}  split    ${'samples'.padStart(9)}  ${'token bytes'.padStart(13)}  blake2b256`,
    ...rows,
    '',
    `train ${samples('train')} samples, held out ${samples('heldout')} samples`,
    `verified: sizes, BLAKE2b-256 hashes, token ids < ${tokenizer.vocabSize} and sample ids of ${manifest.shards.length} shards`,
    `manifest blake2b256: ${await manifestHash(store)}`,
  ].join('\n');
}
