/**
 * Writes one split of a dataset as `cohort-shards/1` shards: the split's token stream is cut into
 * consecutive samples of `seqLen` tokens, each sample gets its id (the first 8 bytes of BLAKE2b-256 of
 * its token bytes), and every `samplesPerShard` samples become `<split>-NNNNN.tokens` / `.ids`. Files are
 * hashed while written and committed atomically, so the caller can write the manifest last.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createBlake2b, sampleIdBytes } from '@cohort/core';
import type { Blake2b } from '@cohort/core';
import { createAtomicFile } from './atomic-file.js';
import type { AtomicFile } from './atomic-file.js';
import { DataError } from './data-error.js';
import { ID_BYTES, TOKEN_BYTES } from './manifest.js';
import type { ShardEntry, Split } from './manifest.js';
import { tokensAsBytes } from './token-bytes.js';

/** Options of {@link createShardWriter}. */
export interface ShardWriterOptions {
  readonly dir: string;
  readonly split: Split;
  readonly seqLen: number;
  readonly samplesPerShard: number;
  /** Every appended token must be an integer in [0, vocabSize). */
  readonly vocabSize: number;
  /** Called after each shard is committed (progress). */
  readonly onShard?: (entry: ShardEntry) => void;
}

/** What a split's writer produced. */
export interface SplitResult {
  readonly shards: readonly ShardEntry[];
  /** Tokens appended (documents plus their EOS). */
  readonly tokens: number;
  readonly samples: number;
  /** The trailing tokens that did not fill a last sample. */
  readonly droppedTokens: number;
}

/** Streams a split's tokens into shards; call `finish` once, or `abort` to remove everything written. */
export interface ShardWriter {
  append(tokens: ArrayLike<number>): Promise<void>;
  finish(): Promise<SplitResult>;
  abort(): Promise<void>;
}

/** Target bytes per file write: whole samples, about 4 MiB. */
const CHUNK_BYTES = 4 << 20;

interface OpenShard {
  readonly name: string;
  readonly tokensFile: AtomicFile;
  readonly idsFile: AtomicFile;
  readonly tokensHash: Blake2b;
  readonly idsHash: Blake2b;
  samples: number;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Start writing split `options.split` into `options.dir` (which must exist). */
export function createShardWriter(options: ShardWriterOptions): ShardWriter {
  const { dir, split, seqLen, samplesPerShard, vocabSize } = options;
  const chunkSamples = Math.max(
    1,
    Math.min(samplesPerShard, Math.floor(CHUNK_BYTES / (seqLen * TOKEN_BYTES))),
  );
  const chunk = new Uint32Array(chunkSamples * seqLen);
  const chunkIds = new Uint8Array(chunkSamples * ID_BYTES);
  let chunkSamplesFilled = 0;
  let sampleFill = 0; // tokens of the sample being filled, at chunk[chunkSamplesFilled * seqLen]
  let shard: OpenShard | undefined;
  const shards: ShardEntry[] = [];
  const committed: string[] = [];
  let tokens = 0;
  let samples = 0;

  async function openShard(): Promise<OpenShard> {
    const name = `${split}-${String(shards.length).padStart(5, '0')}`;
    const tokensFile = await createAtomicFile(join(dir, `${name}.tokens`));
    const idsFile = await createAtomicFile(join(dir, `${name}.ids`));
    return {
      name,
      tokensFile,
      idsFile,
      tokensHash: createBlake2b({ outputLength: 32 }),
      idsHash: createBlake2b({ outputLength: 32 }),
      samples: 0,
    };
  }

  async function flushChunk(): Promise<void> {
    if (chunkSamplesFilled === 0) return;
    shard ??= await openShard();
    const tokenBytes = tokensAsBytes(chunk.subarray(0, chunkSamplesFilled * seqLen));
    const idBytes = chunkIds.subarray(0, chunkSamplesFilled * ID_BYTES);
    shard.tokensHash.update(tokenBytes);
    shard.idsHash.update(idBytes);
    await shard.tokensFile.write(tokenBytes);
    await shard.idsFile.write(idBytes);
    shard.samples += chunkSamplesFilled;
    chunkSamplesFilled = 0;
  }

  async function commitShard(): Promise<void> {
    await flushChunk();
    const current = shard;
    if (current === undefined) return;
    // Listed before the renames, so an abort removes whichever of the two made it into place.
    committed.push(`${current.name}.tokens`, `${current.name}.ids`);
    await current.tokensFile.commit();
    await current.idsFile.commit();
    shard = undefined;
    const entry: ShardEntry = {
      name: current.name,
      split,
      samples: current.samples,
      tokens: {
        file: `${current.name}.tokens`,
        bytes: current.samples * seqLen * TOKEN_BYTES,
        blake2b256: hex(current.tokensHash.digest()),
      },
      ids: {
        file: `${current.name}.ids`,
        bytes: current.samples * ID_BYTES,
        blake2b256: hex(current.idsHash.digest()),
      },
    };
    shards.push(entry);
    options.onShard?.(entry);
  }

  async function completeSample(): Promise<void> {
    const start = chunkSamplesFilled * seqLen;
    const id = sampleIdBytes(tokensAsBytes(chunk.subarray(start, start + seqLen)));
    chunkIds.set(id, chunkSamplesFilled * ID_BYTES);
    chunkSamplesFilled += 1;
    sampleFill = 0;
    samples += 1;
    const inShard = (shard?.samples ?? 0) + chunkSamplesFilled;
    if (inShard === samplesPerShard) await commitShard();
    else if (chunkSamplesFilled === chunkSamples) await flushChunk();
  }

  return {
    async append(input) {
      for (let i = 0; i < input.length; i++) {
        const token = input[i]!;
        if (!Number.isInteger(token) || token < 0 || token >= vocabSize) {
          throw new DataError(
            'TOKEN_OUT_OF_RANGE',
            `token ${token} is not an integer in [0, ${vocabSize}) (${split} split, token ${tokens + i})`,
            { details: { token, vocabSize, split } },
          );
        }
        chunk[chunkSamplesFilled * seqLen + sampleFill] = token;
        sampleFill += 1;
        if (sampleFill === seqLen) await completeSample();
      }
      tokens += input.length;
    },
    async finish() {
      await commitShard();
      return { shards, tokens, samples, droppedTokens: sampleFill };
    },
    async abort() {
      const open = shard;
      shard = undefined;
      if (open !== undefined) {
        await open.tokensFile.abort();
        await open.idsFile.abort();
      }
      for (const file of committed) await rm(join(dir, file), { force: true });
    },
  };
}
