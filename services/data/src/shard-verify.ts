/**
 * Full integrity check of one shard against its manifest entry: both files' BLAKE2b-256, every token
 * below the vocabulary size, and every stored id equal to the hash of its sample. Streams the files in
 * ranges of about 4 MiB of whole samples; run it when a dataset is first opened from untrusted storage.
 */
import { createBlake2b, sampleIdBytes } from '@cohort/core';
import { DataError } from './data-error.js';
import { ID_BYTES, TOKEN_BYTES } from './manifest.js';
import type { ShardEntry } from './manifest.js';
import type { RangeSource } from './range-source.js';
import { bytesAsTokens, tokensAsBytes } from './token-bytes.js';

const CHUNK_BYTES = 4 << 20;

/**
 * A TOKEN_OUT_OF_RANGE error naming shard, sample and position for the first token >= vocabSize in
 * `tokens` (whole samples starting at sample `firstSample`), or undefined when all are in range.
 */
export function outOfRangeToken(
  tokens: Uint32Array,
  vocabSize: number,
  shard: string,
  firstSample: number,
  seqLen: number,
): DataError | undefined {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token >= vocabSize) {
      const sample = firstSample + Math.floor(i / seqLen);
      return new DataError(
        'TOKEN_OUT_OF_RANGE',
        `shard ${shard} sample ${sample} position ${i % seqLen}: token ${token} is not below vocabSize ${vocabSize}`,
        { details: { shard, sample, position: i % seqLen, token, vocabSize } },
      );
    }
  }
  return undefined;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/**
 * The first problem of whole samples `tokenBytes` (samples `firstSample`, `firstSample + 1`, ... of shard
 * `shard`) against their stored ids `idBytes`: a token outside the vocabulary (TOKEN_OUT_OF_RANGE) or a
 * sample whose tokens do not hash to its id (SAMPLE_ID_MISMATCH); undefined when all are good.
 */
export function checkSamples(
  shard: string,
  firstSample: number,
  tokenBytes: Uint8Array,
  idBytes: Uint8Array,
  seqLen: number,
  vocabSize: number,
): DataError | undefined {
  const values = bytesAsTokens(tokenBytes);
  const problem = outOfRangeToken(values, vocabSize, shard, firstSample, seqLen);
  if (problem !== undefined) return problem;
  const count = values.length / seqLen;
  for (let s = 0; s < count; s++) {
    const id = sampleIdBytes(tokensAsBytes(values.subarray(s * seqLen, (s + 1) * seqLen)));
    const stored = idBytes.subarray(s * ID_BYTES, (s + 1) * ID_BYTES);
    if (hex(id) !== hex(stored)) {
      const sample = firstSample + s;
      return new DataError(
        'SAMPLE_ID_MISMATCH',
        `shard ${shard} sample ${sample}: stored id ${hex(stored)} but its tokens hash to ${hex(id)}`,
        { details: { shard, sample } },
      );
    }
  }
  return undefined;
}

/** Verify `entry`'s files (already size-checked) in one streaming pass; throws the first problem found. */
export async function verifyShard(
  entry: ShardEntry,
  seqLen: number,
  vocabSize: number,
  tokens: RangeSource,
  ids: RangeSource,
): Promise<void> {
  const sampleBytes = seqLen * TOKEN_BYTES;
  const step = Math.max(1, Math.floor(CHUNK_BYTES / sampleBytes));
  const tokensHash = createBlake2b({ outputLength: 32 });
  const idsHash = createBlake2b({ outputLength: 32 });
  // Hash mismatches are reported first: a flipped byte is corruption, whatever else it breaks.
  let problem: DataError | undefined;
  for (let first = 0; first < entry.samples; first += step) {
    const count = Math.min(step, entry.samples - first);
    const tokenBytes = await tokens.readRange(first * sampleBytes, count * sampleBytes);
    const idBytes = await ids.readRange(first * ID_BYTES, count * ID_BYTES);
    tokensHash.update(tokenBytes);
    idsHash.update(idBytes);
    if (problem !== undefined) continue;
    problem = checkSamples(entry.name, first, tokenBytes, idBytes, seqLen, vocabSize);
  }
  for (const [file, hash] of [
    [entry.tokens, tokensHash],
    [entry.ids, idsHash],
  ] as const) {
    const actual = hex(hash.digest());
    if (actual !== file.blake2b256) {
      throw new DataError(
        'SHARD_HASH_MISMATCH',
        `${file.file}: BLAKE2b-256 is ${actual} but the manifest says ${file.blake2b256}`,
        { details: { file: file.file, expected: file.blake2b256, actual } },
      );
    }
  }
  if (problem !== undefined) throw problem;
}
