/**
 * manifest.json of a `cohort-shards/1` dataset (the format is specified in docs/data.md and read by the
 * C++ engine too): the tokenizer, the sample length, where the text came from, and per shard its split,
 * sample count, file sizes and BLAKE2b-256 hashes. Parsing checks everything that can be checked
 * without the shard files, so a reader fails fast with SHARD_MANIFEST_INVALID or SHARD_SIZE_MISMATCH.
 */
import { describeValue } from '@cohort/core';
import { DataError } from './data-error.js';

/** The format tag; a change that old readers cannot read gets a new one. */
export const SHARD_FORMAT = 'cohort-shards/1';
/** Bytes per token in a `.tokens` file (uint32 LE). */
export const TOKEN_BYTES = 4;
/** Bytes per sample id in an `.ids` file (uint64 LE). */
export const ID_BYTES = 8;

/** The two splits of a dataset. */
export type Split = 'train' | 'heldout';

/** The manifest's tokenizer section. */
export interface TokenizerInfo {
  readonly name: string;
  readonly package: string;
  readonly vocabSize: number;
  readonly eosToken: number;
}

/** One file of a shard. */
export interface ShardFile {
  readonly file: string;
  readonly bytes: number;
  /** Lowercase hex BLAKE2b-256 of the whole file. */
  readonly blake2b256: string;
}

/** One shard: `samples` samples in `<name>.tokens` and their ids in `<name>.ids`. */
export interface ShardEntry {
  readonly name: string;
  readonly split: Split;
  readonly samples: number;
  readonly tokens: ShardFile;
  readonly ids: ShardFile;
}

/** A parsed, validated manifest. */
export interface Manifest {
  readonly format: typeof SHARD_FORMAT;
  readonly tokenizer: TokenizerInfo;
  readonly seqLen: number;
  readonly source: {
    readonly corpus: string;
    readonly documents: number;
    readonly heldOutFraction: number;
    readonly seed: number;
  };
  readonly shards: readonly ShardEntry[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const HEX256 = /^[0-9a-f]{64}$/;

function fail(path: string, expected: string, received: unknown): never {
  throw new DataError(
    'SHARD_MANIFEST_INVALID',
    `manifest.json: expected ${expected} at ${path} but received ${describeValue(received)}`,
    { details: { path } },
  );
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
  return value as Record<string, unknown>;
}

function string(o: Record<string, unknown>, key: string, path: string, pattern?: RegExp): string {
  const value = o[key];
  if (typeof value !== 'string' || value === '' || (pattern !== undefined && !pattern.test(value))) {
    fail(
      `${path}.${key}`,
      pattern === undefined ? 'a non-empty string' : `a string matching ${pattern}`,
      value,
    );
  }
  return value;
}

function integer(o: Record<string, unknown>, key: string, path: string, min: number): number {
  const value = o[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    fail(`${path}.${key}`, `an integer >= ${min}`, value);
  }
  return value;
}

function shardFile(value: unknown, path: string, expectedName: string, expectedBytes: number): ShardFile {
  const o = object(value, path);
  const file = string(o, 'file', path, NAME);
  if (file !== expectedName) fail(`${path}.file`, JSON.stringify(expectedName), file);
  const bytes = integer(o, 'bytes', path, 0);
  if (bytes !== expectedBytes || !Number.isSafeInteger(expectedBytes)) {
    throw new DataError(
      'SHARD_SIZE_MISMATCH',
      `manifest.json: ${path}.bytes is ${bytes} but samples and seqLen require ${expectedBytes}`,
      { details: { path, bytes, expected: expectedBytes } },
    );
  }
  return { file, bytes, blake2b256: string(o, 'blake2b256', path, HEX256) };
}

/**
 * Parse and validate manifest.json text: the format tag, every field's type and range, safe unique
 * shard names, file names `<name>.tokens` / `<name>.ids`, and sizes equal to samples × seqLen × 4 and
 * samples × 8. Unknown fields are ignored (additions within cohort-shards/1 stay readable).
 */
export function parseManifest(text: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DataError('SHARD_MANIFEST_INVALID', 'manifest.json is not valid JSON', { cause: err });
  }
  const root = object(json, '$');
  if (root['format'] !== SHARD_FORMAT) fail('$.format', JSON.stringify(SHARD_FORMAT), root['format']);
  const t = object(root['tokenizer'], '$.tokenizer');
  const vocabSize = integer(t, 'vocabSize', '$.tokenizer', 1);
  const eosToken = integer(t, 'eosToken', '$.tokenizer', 0);
  if (eosToken >= vocabSize) fail('$.tokenizer.eosToken', `an integer < vocabSize (${vocabSize})`, eosToken);
  const tokenizer = {
    name: string(t, 'name', '$.tokenizer'),
    package: string(t, 'package', '$.tokenizer'),
    vocabSize,
    eosToken,
  };
  const seqLen = integer(root, 'seqLen', '$', 1);
  const s = object(root['source'], '$.source');
  const heldOutFraction = s['heldOutFraction'];
  if (typeof heldOutFraction !== 'number' || !(heldOutFraction >= 0 && heldOutFraction < 1)) {
    fail('$.source.heldOutFraction', 'a number in [0, 1)', heldOutFraction);
  }
  const source = {
    corpus: string(s, 'corpus', '$.source'),
    documents: integer(s, 'documents', '$.source', 0),
    heldOutFraction,
    seed: integer(s, 'seed', '$.source', 0),
  };
  if (!Array.isArray(root['shards'])) fail('$.shards', 'an array', root['shards']);
  const names = new Set<string>();
  const shards = (root['shards'] as unknown[]).map((value, i): ShardEntry => {
    const path = `$.shards[${i}]`;
    const o = object(value, path);
    const name = string(o, 'name', path, NAME);
    if (names.has(name)) fail(`${path}.name`, 'a unique shard name', name);
    names.add(name);
    const split = o['split'];
    if (split !== 'train' && split !== 'heldout') fail(`${path}.split`, '"train" or "heldout"', split);
    const samples = integer(o, 'samples', path, 0);
    return {
      name,
      split,
      samples,
      tokens: shardFile(o['tokens'], `${path}.tokens`, `${name}.tokens`, samples * seqLen * TOKEN_BYTES),
      ids: shardFile(o['ids'], `${path}.ids`, `${name}.ids`, samples * ID_BYTES),
    };
  });
  return { format: SHARD_FORMAT, tokenizer, seqLen, source, shards };
}

/** The manifest as written to disk: two-space JSON with a trailing newline. */
export function formatManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
