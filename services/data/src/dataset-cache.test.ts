import assert from 'node:assert/strict';
import { cp, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { blake2b256, CohortError } from '@cohort/core';
import type { Corpus } from './corpus.js';
import { openDatasetCache } from './dataset-cache.js';
import { createLocalStore } from './local-store.js';
import { TOKEN_BYTES } from './manifest.js';
import { prepareDataset } from './prepare-dataset.js';
import type { DatasetStore, RangeSource } from './range-source.js';

// The store here is a local directory behind the same DatasetStore seam the object store uses
// (test/integration/dataset-store.test.ts runs the real checkpoint-store): what is tested is the
// cache's own behaviour, counting every range it asks for.
const root = await mkdtemp(join(tmpdir(), 'cohort-cache-'));
after(() => rm(root, { recursive: true, force: true }));
const datasetA = join(root, 'a');
const datasetB = join(root, 'b');
const SEQ = 8;
const SAMPLE_BYTES = SEQ * TOKEN_BYTES;
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const reason = (r: string) => (e: unknown) => e instanceof CohortError && e.reason === r;
let dirs = 0;
const cacheDir = (): string => join(root, `cache-${dirs++}`);

const corpusOf = (name: string): Corpus => ({
  name,
  async *documents() {
    await Promise.resolve();
    for (let i = 0; i < 24; i++)
      yield `${name} document ${i} says ${'x'.repeat(i)} and more words. `.repeat(4);
  },
});

before(async () => {
  await prepareDataset({
    corpus: corpusOf('alpha'),
    outDir: datasetA,
    seqLen: SEQ,
    samplesPerShard: 16,
    heldOutFraction: 0.2,
  });
  await prepareDataset({
    corpus: corpusOf('beta'),
    outDir: datasetB,
    seqLen: SEQ,
    samplesPerShard: 16,
    heldOutFraction: 0.2,
  });
});

interface Read {
  readonly file: string;
  readonly offset: number;
  readonly length: number;
}

/** `inner`, recording every range read, with an optional hook that may alter the bytes served. */
function recording(
  inner: DatasetStore,
  alter?: (file: string, offset: number, bytes: Uint8Array) => void,
): { store: DatasetStore; reads: Read[] } {
  const reads: Read[] = [];
  const store: DatasetStore = {
    location: inner.location,
    async open(file): Promise<RangeSource> {
      const source = await inner.open(file);
      return {
        size: source.size,
        async readRange(offset, length) {
          reads.push({ file, offset, length });
          const bytes = await source.readRange(offset, length);
          alter?.(file, offset, bytes);
          return bytes;
        },
        close: () => source.close(),
      };
    },
  };
  return { store, reads };
}

async function bytesAt(path: string, offset: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const out = Buffer.alloc(length);
    await handle.read(out, 0, length, offset);
    return out;
  } finally {
    await handle.close();
  }
}

describe('dataset cache', () => {
  test('lays out a sparse copy, fetches only the asked samples, and serves them again locally', async () => {
    const dir = cacheDir();
    const { store, reads } = recording(createLocalStore(datasetA));
    const cache = await openDatasetCache({ source: store, dir, maxGapBytes: 0 });
    try {
      assert.deepEqual(await readFile(cache.manifestPath), await readFile(join(datasetA, 'manifest.json')));
      const train = cache.manifest.shards.filter((s) => s.split === 'train');
      assert.ok(train.length >= 2, 'the fixture has several train shards');
      for (const shard of cache.manifest.shards) {
        assert.equal((await stat(join(dir, shard.tokens.file))).size, shard.tokens.bytes);
        assert.deepEqual(
          await readFile(join(dir, shard.ids.file)),
          await readFile(join(datasetA, shard.ids.file)),
        );
      }
      assert.equal(reads.filter((r) => r.file.endsWith('.tokens')).length, 0, 'no token fetched at open');
      assert.deepEqual(cache.presence().present, 0);

      // Split-wide indices: 17 and 18 are samples 1 and 2 of the second train shard.
      const first = await cache.ensure('train', [3, 17, 18, 3, 5]);
      assert.deepEqual(first, { hits: 0, fetched: 4, ranges: 3, bytes: 4 * SAMPLE_BYTES });
      const tokenReads = reads.filter((r) => r.file.endsWith('.tokens'));
      assert.deepEqual(
        tokenReads.map((r) => [r.file, r.offset / SAMPLE_BYTES, r.length / SAMPLE_BYTES]).sort(),
        [
          [train[0]!.tokens.file, 3, 1],
          [train[0]!.tokens.file, 5, 1],
          [train[1]!.tokens.file, 1, 2],
        ].sort(),
      );
      for (const [shard, sample] of [
        [train[0]!, 3],
        [train[0]!, 5],
        [train[1]!, 1],
        [train[1]!, 2],
      ] as const) {
        const at = sample * SAMPLE_BYTES;
        assert.deepEqual(
          await bytesAt(join(dir, shard.tokens.file), at, SAMPLE_BYTES),
          await bytesAt(join(datasetA, shard.tokens.file), at, SAMPLE_BYTES),
        );
      }
      // A sample never asked for is still a hole (zeros), not the dataset's bytes.
      assert.ok(
        (await bytesAt(join(dir, train[0]!.tokens.file), 4 * SAMPLE_BYTES, SAMPLE_BYTES)).every(
          (b) => b === 0,
        ),
      );

      const before = reads.length;
      assert.deepEqual(await cache.ensure('train', [5, 17]), { hits: 2, fetched: 0, ranges: 0, bytes: 0 });
      assert.equal(reads.length, before, 'present samples are not fetched again');
      assert.equal(cache.presence().present, 4);
    } finally {
      await cache.close();
    }
  });

  test('a small gap is fetched with its neighbours and kept', async () => {
    const { store, reads } = recording(createLocalStore(datasetA));
    const cache = await openDatasetCache({ source: store, dir: cacheDir(), maxGapBytes: 2 * SAMPLE_BYTES });
    try {
      const stats = await cache.ensure('train', [1, 4, 12]);
      assert.deepEqual(stats, { hits: 0, fetched: 5, ranges: 2, bytes: 5 * SAMPLE_BYTES });
      assert.equal(reads.filter((r) => r.file.endsWith('.tokens')).length, 2);
      assert.deepEqual(await cache.ensure('train', [2, 3]), { hits: 2, fetched: 0, ranges: 0, bytes: 0 });
    } finally {
      await cache.close();
    }
  });

  test('a reopened cache keeps what it fetched and fetches neither ids nor those samples again', async () => {
    const dir = cacheDir();
    const first = await openDatasetCache({ source: createLocalStore(datasetA), dir });
    await first.ensure('heldout', [0, 1]);
    await first.ensure('train', [9]);
    await first.close();
    const { store, reads } = recording(createLocalStore(datasetA));
    const again = await openDatasetCache({ source: store, dir });
    try {
      assert.equal(again.presence().present, 3);
      assert.deepEqual(
        reads.map((r) => r.file),
        ['manifest.json'],
        'only the manifest is read',
      );
      assert.deepEqual(await again.ensure('heldout', [1, 0]), { hits: 2, fetched: 0, ranges: 0, bytes: 0 });
    } finally {
      await again.close();
    }
  });

  test('the pinned manifest hash is enforced', async () => {
    const actual = hex(blake2b256(await readFile(join(datasetA, 'manifest.json'))));
    const dir = cacheDir();
    await assert.rejects(
      openDatasetCache({ source: createLocalStore(datasetA), dir, manifestBlake2b256: '00'.repeat(32) }),
      reason('MANIFEST_HASH_MISMATCH'),
    );
    await assert.rejects(stat(join(dir, 'manifest.json')), 'no local manifest after a refusal');
    const cache = await openDatasetCache({
      source: createLocalStore(datasetA),
      dir,
      manifestBlake2b256: actual.toUpperCase(),
    });
    assert.equal(cache.manifestBlake2b256, actual);
    await cache.close();
  });

  test('a store serving wrong token bytes is refused and nothing of that sample is kept', async () => {
    const dir = cacheDir();
    const target = 6 * SAMPLE_BYTES;
    const { store } = recording(createLocalStore(datasetA), (file, offset, bytes) => {
      if (file === 'train-00000.tokens' && offset <= target && target < offset + bytes.length) {
        bytes[target - offset] = (bytes[target - offset] ?? 0) ^ 1;
      }
    });
    const cache = await openDatasetCache({ source: store, dir, maxGapBytes: 0 });
    try {
      await assert.rejects(cache.ensure('train', [6]), reason('SAMPLE_ID_MISMATCH'));
      assert.equal(cache.presence().present, 0);
      assert.ok((await bytesAt(join(dir, 'train-00000.tokens'), target, SAMPLE_BYTES)).every((b) => b === 0));
      // Samples fetched beside the bad one are verified on their own and kept.
      await assert.rejects(cache.ensure('train', [2, 6, 10]), reason('SAMPLE_ID_MISMATCH'));
      assert.equal(cache.presence().present, 2);
      assert.deepEqual(await cache.ensure('train', [2, 10]), { hits: 2, fetched: 0, ranges: 0, bytes: 0 });
    } finally {
      await cache.close();
    }
  });

  test('a token id outside the vocabulary is refused before anything is written', async () => {
    const { store } = recording(createLocalStore(datasetA), (file, offset, bytes) => {
      if (file === 'train-00000.tokens' && offset === 0)
        new DataView(bytes.buffer, bytes.byteOffset).setUint32(0, 0xffffffff, true);
    });
    const cache = await openDatasetCache({ source: store, dir: cacheDir() });
    try {
      await assert.rejects(cache.ensure('train', [0]), reason('TOKEN_OUT_OF_RANGE'));
      assert.equal(cache.presence().present, 0);
    } finally {
      await cache.close();
    }
  });

  test("an ids file that is not the manifest's is refused at open", async () => {
    const bad = join(root, 'bad-ids');
    await cp(datasetA, bad, { recursive: true });
    const handle = await open(join(bad, 'train-00001.ids'), 'r+');
    await handle.write(Buffer.from([0xff]), 0, 1, 3);
    await handle.close();
    const dir = cacheDir();
    await assert.rejects(
      openDatasetCache({ source: createLocalStore(bad), dir }),
      reason('SHARD_HASH_MISMATCH'),
    );
    await assert.rejects(stat(join(dir, 'manifest.json')), 'no local manifest after a refusal');
  });

  test('another dataset in the same directory replaces the first; old samples are never served', async () => {
    const dir = cacheDir();
    const a = await openDatasetCache({ source: createLocalStore(datasetA), dir });
    await a.ensure('train', [0, 1, 2]);
    await a.close();
    const b = await openDatasetCache({ source: createLocalStore(datasetB), dir });
    try {
      assert.deepEqual(await readFile(b.manifestPath), await readFile(join(datasetB, 'manifest.json')));
      assert.equal(b.presence().present, 0, "A's presence is not B's");
      assert.deepEqual(await b.ensure('train', [1]), { hits: 0, fetched: 1, ranges: 1, bytes: SAMPLE_BYTES });
      assert.deepEqual(
        await bytesAt(join(dir, 'train-00000.tokens'), SAMPLE_BYTES, SAMPLE_BYTES),
        await bytesAt(join(datasetB, 'train-00000.tokens'), SAMPLE_BYTES, SAMPLE_BYTES),
      );
      assert.ok((await bytesAt(join(dir, 'train-00000.tokens'), 0, SAMPLE_BYTES)).every((x) => x === 0));
    } finally {
      await b.close();
    }
  });

  test('one process per cache directory; a lock left by a dead process is taken over', async () => {
    const dir = cacheDir();
    const first = await openDatasetCache({ source: createLocalStore(datasetA), dir });
    await assert.rejects(
      openDatasetCache({ source: createLocalStore(datasetA), dir }),
      reason('DATASET_CACHE_BUSY'),
    );
    await first.close();
    // A live process of this host (our parent) holds it: refused.
    await writeFile(join(dir, 'cache.lock'), `${process.ppid}\n${hostname()}\n`);
    await assert.rejects(
      openDatasetCache({ source: createLocalStore(datasetA), dir }),
      reason('DATASET_CACHE_BUSY'),
    );
    // A pid that is not running: taken over, and released on close.
    await writeFile(join(dir, 'cache.lock'), `${2 ** 22 + 17}\n${hostname()}\n`);
    const again = await openDatasetCache({ source: createLocalStore(datasetA), dir });
    assert.equal((await readFile(join(dir, 'cache.lock'), 'utf8')).split('\n')[0], String(process.pid));
    await again.close();
    await assert.rejects(stat(join(dir, 'cache.lock')));
  });

  test('indices outside the split are refused, and a closed cache says so', async () => {
    const cache = await openDatasetCache({ source: createLocalStore(datasetA), dir: cacheDir() });
    const total = cache.manifest.shards.filter((s) => s.split === 'train').reduce((n, s) => n + s.samples, 0);
    await assert.rejects(cache.ensure('train', [total]), reason('SAMPLE_NOT_FOUND'));
    await assert.rejects(cache.ensure('train', [-1]), reason('SAMPLE_NOT_FOUND'));
    await assert.rejects(cache.ensure('train', [1.5]), reason('SAMPLE_NOT_FOUND'));
    await cache.close();
    await assert.rejects(cache.ensure('train', [0]), reason('DATASET_CLOSED'));
  });
});
