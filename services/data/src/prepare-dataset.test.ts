import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { blake2b256, CohortError } from '@cohort/core';
import type { Corpus } from './corpus.js';
import { createLocalStore } from './local-store.js';
import { openDataset } from './dataset-reader.js';
import { prepareDataset } from './prepare-dataset.js';
import { createGpt2Tokenizer } from './tokenizer.js';
import type { Tokenizer } from './tokenizer.js';

const root = await mkdtemp(join(tmpdir(), 'cohort-prepare-'));
after(() => rm(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(root, `out-${dirs++}`);
const tokenizer = createGpt2Tokenizer();
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const reason = (r: string) => (e: unknown) => e instanceof CohortError && e.reason === r;

function memoryCorpus(documents: readonly string[], name = 'memory'): Corpus {
  return {
    name,
    async *documents() {
      await Promise.resolve();
      yield* documents;
    },
  };
}

const documents = Array.from(
  { length: 12 },
  (_, i) => `Document ${i}: ${'the quick brown fox jumps over the lazy dog. '.repeat(i + 1)}`,
);

describe('the written dataset follows cohort-shards/1 byte for byte', () => {
  test('tokens, ids, sizes, hashes and manifest, recomputed independently', async () => {
    const outDir = freshDir();
    const seqLen = 16;
    const summary = await prepareDataset({
      corpus: memoryCorpus(['', ...documents, '  \n ']),
      outDir,
      seqLen,
      heldOutFraction: 0,
      samplesPerShard: 7,
    });

    // The expected stream: every non-empty document's tokens, then EOS, concatenated.
    const stream = documents.flatMap((d) => [...tokenizer.encode(d), 50256]);
    const samples = Math.floor(stream.length / seqLen);
    assert.equal(summary.documents, documents.length);
    assert.equal(summary.train.tokens, stream.length);
    assert.equal(summary.train.samples, samples);
    assert.equal(summary.train.droppedTokens, stream.length - samples * seqLen);
    assert.equal(summary.heldout.samples, 0);

    const manifest = JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const shardCount = Math.ceil(samples / 7);
    const expectedShards = [];
    for (let s = 0; s < shardCount; s++) {
      const name = `train-${String(s).padStart(5, '0')}`;
      const first = s * 7;
      const count = Math.min(7, samples - first);
      const tokens = Buffer.alloc(count * seqLen * 4);
      stream
        .slice(first * seqLen, (first + count) * seqLen)
        .forEach((t, i) => tokens.writeUInt32LE(t, i * 4));
      const ids = Buffer.alloc(count * 8);
      for (let k = 0; k < count; k++) {
        const digest = blake2b256(tokens.subarray(k * seqLen * 4, (k + 1) * seqLen * 4));
        Buffer.from(digest.subarray(0, 8)).copy(ids, k * 8);
      }
      assert.deepEqual(await readFile(join(outDir, `${name}.tokens`)), tokens, `${name}.tokens`);
      assert.deepEqual(await readFile(join(outDir, `${name}.ids`)), ids, `${name}.ids`);
      expectedShards.push({
        name,
        split: 'train',
        samples: count,
        tokens: { file: `${name}.tokens`, bytes: tokens.length, blake2b256: hex(blake2b256(tokens)) },
        ids: { file: `${name}.ids`, bytes: ids.length, blake2b256: hex(blake2b256(ids)) },
      });
    }
    assert.deepEqual(manifest, {
      format: 'cohort-shards/1',
      tokenizer: { name: 'gpt2', package: tokenizer.package, vocabSize: 50257, eosToken: 50256 },
      seqLen,
      source: { corpus: 'memory', documents: documents.length, heldOutFraction: 0, seed: 0 },
      shards: expectedShards,
    });
    assert.deepEqual((await readdir(outDir)).sort(), [
      'manifest.json',
      ...expectedShards.flatMap((s) => [s.ids.file, s.tokens.file]).sort(),
    ]);
  });

  test('held-out documents go only to heldout shards', async () => {
    const outDir = freshDir();
    const summary = await prepareDataset({
      corpus: memoryCorpus(documents),
      outDir,
      seqLen: 8,
      heldOutFraction: 0.25,
      seed: 7,
    });
    assert.equal(summary.heldOutDocuments, 3);
    const dataset = await openDataset(createLocalStore(outDir), { verify: true });
    const text = async (split: 'train' | 'heldout'): Promise<string> => {
      const tokens: number[] = [];
      for (const shard of dataset.split(split)) {
        for (let i = 0; i < shard.entry.samples; i++) tokens.push(...(await shard.readSample(i)));
      }
      return tokenizer.decode(tokens);
    };
    const [train, heldout] = [await text('train'), await text('heldout')];
    await dataset.close();
    const isIn = (doc: string, t: string): boolean => t.includes(doc.slice(0, 20));
    const held = documents.filter((d) => isIn(d, heldout));
    assert.equal(held.length, 3);
    for (const doc of held) assert.ok(!isIn(doc, train), `${doc.slice(0, 12)} is in both splits`);
    assert.deepEqual(dataset.manifest.source, {
      corpus: 'memory',
      documents: 12,
      heldOutFraction: 0.25,
      seed: 7,
    });
  });
});

describe('crash safety', () => {
  test('no manifest exists while shards are written; shards are complete when committed', async () => {
    const outDir = freshDir();
    const seen: string[] = [];
    await prepareDataset({
      corpus: memoryCorpus(documents),
      outDir,
      seqLen: 8,
      samplesPerShard: 5,
      heldOutFraction: 0,
      onProgress: (p) => {
        if (p.event !== 'shard_written') return;
        assert.ok(!existsSync(join(outDir, 'manifest.json')), 'manifest before shards');
        assert.ok(
          existsSync(join(outDir, p.shard.tokens.file)) && existsSync(join(outDir, p.shard.ids.file)),
        );
        seen.push(p.shard.name);
      },
    });
    assert.ok(seen.length > 3);
    assert.ok(existsSync(join(outDir, 'manifest.json')));
  });

  test('a failure mid-corpus leaves no manifest and no files behind', async () => {
    const outDir = freshDir();
    let pass = 0;
    const failing: Corpus = {
      name: 'failing',
      async *documents() {
        pass += 1;
        for (const [i, d] of documents.entries()) {
          if (pass === 2 && i === 9) throw new Error('disk went away');
          await Promise.resolve();
          yield d;
        }
      },
    };
    await assert.rejects(
      prepareDataset({ corpus: failing, outDir, seqLen: 8, samplesPerShard: 3, heldOutFraction: 0.2 }),
      /disk went away/,
    );
    assert.equal(existsSync(outDir), false, 'the output directory it created is removed too');
  });

  test('a failure removes only what this call created: a given empty directory stays, parents it made go', async () => {
    const failing: Corpus = {
      name: 'failing',
      async *documents() {
        await Promise.reject(new Error('unreadable'));
        yield 'never';
      },
    };
    const given = freshDir();
    await mkdir(given);
    await assert.rejects(prepareDataset({ corpus: failing, outDir: given }), /unreadable/);
    assert.deepEqual(await readdir(given), []);
    const parent = freshDir();
    await assert.rejects(prepareDataset({ corpus: failing, outDir: join(parent, 'a', 'b') }), /unreadable/);
    assert.equal(existsSync(parent), false);
  });

  test('a corpus that changes between the two passes is INPUT_CHANGED', async () => {
    let pass = 0;
    const growing: Corpus = {
      name: 'growing',
      async *documents() {
        pass += 1;
        await Promise.resolve();
        yield* pass === 1 ? documents.slice(0, 5) : documents;
      },
    };
    await assert.rejects(
      prepareDataset({ corpus: growing, outDir: freshDir(), seqLen: 8 }),
      reason('INPUT_CHANGED'),
    );
  });
});

describe('bad input and options', () => {
  test('a tokenizer id >= vocabSize is TOKEN_OUT_OF_RANGE', async () => {
    const broken: Tokenizer = { ...tokenizer, encode: (text) => [...tokenizer.encode(text), 50257] };
    const outDir = freshDir();
    await assert.rejects(
      prepareDataset({ corpus: memoryCorpus(documents), outDir, seqLen: 8, tokenizer: broken }),
      (e: unknown) => reason('TOKEN_OUT_OF_RANGE')(e) && /50257/.test((e as Error).message),
    );
    assert.equal(existsSync(outDir), false);
  });

  test('options out of range are DATA_INVALID_OPTION (InvalidArgument)', async () => {
    for (const bad of [
      { seqLen: 0 },
      { seqLen: 1.5 },
      { heldOutFraction: 1 },
      { heldOutFraction: -0.1 },
      { seed: -1 },
      { samplesPerShard: 0 },
    ]) {
      await assert.rejects(
        prepareDataset({ corpus: memoryCorpus(documents), outDir: freshDir(), ...bad }),
        (e: unknown) => reason('DATA_INVALID_OPTION')(e) && (e as CohortError).code === 3,
        JSON.stringify(bad),
      );
    }
  });

  test('a non-empty output directory is OUTPUT_NOT_EMPTY; a tiny corpus is CORPUS_TOO_SMALL', async () => {
    const outDir = freshDir();
    await prepareDataset({ corpus: memoryCorpus(documents), outDir, seqLen: 8 });
    await assert.rejects(
      prepareDataset({ corpus: memoryCorpus(documents), outDir, seqLen: 8 }),
      reason('OUTPUT_NOT_EMPTY'),
    );
    const other = freshDir();
    await assert.rejects(
      prepareDataset({ corpus: memoryCorpus(['hi']), outDir: other, seqLen: 64, heldOutFraction: 0 }),
      reason('CORPUS_TOO_SMALL'),
    );
    assert.equal(existsSync(other), false);
  });
});
