import assert from 'node:assert/strict';
import { cp, mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { blake2b256, CohortError, sampleId } from '@cohort/core';
import type { Corpus } from './corpus.js';
import { openDataset } from './dataset-reader.js';
import { createLocalStore } from './local-store.js';
import { parseManifest } from './manifest.js';
import type { Manifest } from './manifest.js';
import { prepareDataset } from './prepare-dataset.js';
import type { DatasetStore } from './range-source.js';

const root = await mkdtemp(join(tmpdir(), 'cohort-reader-'));
after(() => rm(root, { recursive: true, force: true }));
const good = join(root, 'good');
const reason = (r: string) => (e: unknown) => e instanceof CohortError && e.reason === r;
let copies = 0;
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

const corpus: Corpus = {
  name: 'reader-test',
  async *documents() {
    await Promise.resolve();
    for (let i = 0; i < 20; i++) yield `Sample text number ${i}. `.repeat(5);
  },
};

before(async () => {
  await prepareDataset({ corpus, outDir: good, seqLen: 8, samplesPerShard: 16, heldOutFraction: 0.2 });
});

async function copy(): Promise<string> {
  const dir = join(root, `copy-${copies++}`);
  await cp(good, dir, { recursive: true });
  return dir;
}

async function manifestOf(dir: string): Promise<Manifest> {
  return parseManifest(await readFile(join(dir, 'manifest.json'), 'utf8'));
}

/** Overwrite 4 bytes of token `position` in `file` with `value` (uint32 LE). */
async function pokeToken(path: string, position: number, value: number): Promise<void> {
  const handle = await open(path, 'r+');
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value);
  await handle.write(bytes, 0, 4, position * 4);
  await handle.close();
}

describe('reading samples', () => {
  test('samples and ids by index, with positioned reads', async () => {
    const dataset = await openDataset(createLocalStore(good), { verify: true });
    const shard = dataset.shard('train-00000');
    assert.equal(shard.entry.samples, 16);
    const tokens = await readFile(join(good, 'train-00000.tokens'));
    for (const index of [0, 5, 15]) {
      const sample = await shard.readSample(index);
      assert.deepEqual(
        Buffer.from(sample.buffer, sample.byteOffset, 32),
        tokens.subarray(index * 32, index * 32 + 32),
      );
      assert.equal(await shard.readSampleId(index), sampleId(tokens.subarray(index * 32, index * 32 + 32)));
    }
    assert.ok(dataset.split('heldout').length >= 1);
    assert.ok(dataset.split('train').length >= 2);
    await assert.rejects(shard.readSample(16), reason('SAMPLE_NOT_FOUND'));
    await assert.rejects(shard.readSample(-1), reason('SAMPLE_NOT_FOUND'));
    assert.throws(() => dataset.shard('train-99999'), reason('SAMPLE_NOT_FOUND'));
    await dataset.close();
  });

  test('any DatasetStore works: an in-memory range reader counts its reads', async () => {
    const files = new Map<string, Buffer>();
    for (const name of ['manifest.json', 'train-00000.tokens', 'train-00000.ids']) {
      files.set(name, await readFile(join(good, name)));
    }
    const manifest = await manifestOf(good);
    const one = { ...manifest, shards: manifest.shards.slice(0, 1) };
    files.set('manifest.json', Buffer.from(JSON.stringify(one)));
    const reads: [string, number, number][] = [];
    const store: DatasetStore = {
      location: 'memory',
      open(file) {
        const bytes = files.get(file);
        if (bytes === undefined) return Promise.reject(new Error(`no ${file}`));
        return Promise.resolve({
          size: bytes.length,
          readRange(offset: number, length: number) {
            reads.push([file, offset, length]);
            return Promise.resolve(new Uint8Array(bytes.subarray(offset, offset + length)));
          },
          close: () => Promise.resolve(),
        });
      },
    };
    const dataset = await openDataset(store);
    reads.length = 0;
    await dataset.shard('train-00000').readSample(3);
    assert.deepEqual(reads, [['train-00000.tokens', 96, 32]]);
  });
});

describe('corruption is caught with a stable reason', () => {
  test('a flipped byte in a shard is SHARD_HASH_MISMATCH when verifying', async () => {
    const dir = await copy();
    const path = join(dir, 'train-00000.tokens');
    const bytes = await readFile(path);
    bytes[40] = bytes[40]! ^ 0x01;
    await writeFile(path, bytes);
    await openDataset(createLocalStore(dir)).then((d) => d.close());
    await assert.rejects(openDataset(createLocalStore(dir), { verify: true }), reason('SHARD_HASH_MISMATCH'));
  });

  test('a token >= vocabSize is TOKEN_OUT_OF_RANGE on read and on verify (with honest hashes)', async () => {
    const dir = await copy();
    const path = join(dir, 'train-00000.tokens');
    await pokeToken(path, 2 * 8 + 3, 50257);
    // Re-hash so only the token range is wrong: the manifest "vouches" for the bad token.
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
      shards: { tokens: { blake2b256: string } }[];
    };
    manifest.shards[0]!.tokens.blake2b256 = hex(blake2b256(await readFile(path)));
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const dataset = await openDataset(createLocalStore(dir));
    await assert.rejects(
      dataset.shard('train-00000').readSample(2),
      (e: unknown) =>
        reason('TOKEN_OUT_OF_RANGE')(e) &&
        /train-00000 sample 2 position 3: token 50257/.test((e as Error).message),
    );
    assert.equal((await dataset.shard('train-00000').readSample(1)).length, 8);
    await dataset.close();
    await assert.rejects(openDataset(createLocalStore(dir), { verify: true }), reason('TOKEN_OUT_OF_RANGE'));
  });

  test('a stored id that is not the hash of its sample is SAMPLE_ID_MISMATCH', async () => {
    const dir = await copy();
    const path = join(dir, 'train-00000.ids');
    const ids = await readFile(path);
    ids.copy(ids, 8, 0, 8); // sample 1 claims sample 0's id
    await writeFile(path, ids);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
      shards: { ids: { blake2b256: string } }[];
    };
    manifest.shards[0]!.ids.blake2b256 = hex(blake2b256(ids));
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    await assert.rejects(openDataset(createLocalStore(dir), { verify: true }), reason('SAMPLE_ID_MISMATCH'));
  });

  test('a truncated shard is SHARD_SIZE_MISMATCH; a missing one SHARD_FILE_MISSING', async () => {
    const dir = await copy();
    await truncate(join(dir, 'train-00001.tokens'), 10);
    await assert.rejects(openDataset(createLocalStore(dir)), reason('SHARD_SIZE_MISMATCH'));
    await rm(join(dir, 'train-00001.tokens'));
    await assert.rejects(openDataset(createLocalStore(dir)), reason('SHARD_FILE_MISSING'));
    await assert.rejects(openDataset(createLocalStore(join(root, 'nowhere'))), reason('SHARD_FILE_MISSING'));
  });
});

describe('manifest validation', () => {
  const base = async (): Promise<Record<string, unknown>> =>
    JSON.parse(await readFile(join(good, 'manifest.json'), 'utf8')) as Record<string, unknown>;

  test('every rule of the schema has its reason', async () => {
    const m = await base();
    const shard0 = (m['shards'] as Record<string, unknown>[])[0]!;
    const cases: [string, unknown, string][] = [
      ['not json', '{', 'SHARD_MANIFEST_INVALID'],
      ['format', { ...m, format: 'cohort-shards/2' }, 'SHARD_MANIFEST_INVALID'],
      [
        'eos',
        { ...m, tokenizer: { ...(m['tokenizer'] as object), eosToken: 50257 } },
        'SHARD_MANIFEST_INVALID',
      ],
      ['seqLen', { ...m, seqLen: 0 }, 'SHARD_MANIFEST_INVALID'],
      [
        'fraction',
        { ...m, source: { ...(m['source'] as object), heldOutFraction: 1 } },
        'SHARD_MANIFEST_INVALID',
      ],
      ['split', { ...m, shards: [{ ...shard0, split: 'test' }] }, 'SHARD_MANIFEST_INVALID'],
      ['duplicate', { ...m, shards: [shard0, shard0] }, 'SHARD_MANIFEST_INVALID'],
      ['path', { ...m, shards: [{ ...shard0, name: '../x' }] }, 'SHARD_MANIFEST_INVALID'],
      [
        'file name',
        { ...m, shards: [{ ...shard0, ids: { ...(shard0['ids'] as object), file: 'other.ids' } }] },
        'SHARD_MANIFEST_INVALID',
      ],
      ['samples', { ...m, shards: [{ ...shard0, samples: 15 }] }, 'SHARD_SIZE_MISMATCH'],
      [
        'hash',
        { ...m, shards: [{ ...shard0, ids: { ...(shard0['ids'] as object), blake2b256: 'ABC' } }] },
        'SHARD_MANIFEST_INVALID',
      ],
    ];
    for (const [what, value, expected] of cases) {
      assert.throws(
        () => parseManifest(typeof value === 'string' ? value : JSON.stringify(value)),
        reason(expected),
        what,
      );
    }
    // Unknown fields are ignored within cohort-shards/1.
    assert.equal(parseManifest(JSON.stringify({ ...m, future: true })).seqLen, 8);
  });
});
