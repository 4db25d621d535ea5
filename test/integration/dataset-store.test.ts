/**
 * `cohort data publish` and `cohort data inspect --store` against a real checkpoint-store process
 * (filesystem backend), through the `cohort` binary: a few Brown documents prepared into several small
 * shards are published (every file with its manifest hash, the manifest last), published again (all
 * already there), and verified through the store by range. A locally corrupt copy is refused before
 * anything is sent; bad bytes put into the store directly are caught by `inspect --store`; a prefix
 * holding other bytes is refused naming the key; a prefix with nothing is SHARD_FILE_MISSING. The
 * assertions are on reason codes and exit codes, never on message text.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { blake2b256 } from '@cohort/core';
import { createBrownCorpus, prepareDataset } from '@cohort/data';
import type { Corpus, Manifest } from '@cohort/data';
import { StoreClient } from '@cohort/kit';
import { spawnService } from '../harness/index.js';
import type { ServiceProcess } from '../harness/index.js';

const CLI = fileURLToPath(new URL('../../../services/cli/dist/main.js', import.meta.url));
const PREFIX = 'datasets/brown-small/';
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The `[REASON]` that main.ts appends to a failure's line on stderr. */
  readonly reason: string | undefined;
}

/** Run the `cohort` command line. */
function cohort(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (error, stdout, stderr) =>
      resolve({
        code: error ? Number(error.code ?? 1) : 0,
        stdout,
        stderr,
        reason: /\[([A-Z0-9_]+)\]\n$/.exec(stderr)?.[1],
      }),
    );
  });
}

/** The first `count` Brown documents: enough for several shards at seqLen 64, prepared in well under 1 s. */
function brownHead(count: number): Corpus {
  const brown = createBrownCorpus();
  return {
    name: `${brown.name}[0:${count}]`,
    async *documents() {
      let n = 0;
      for await (const doc of brown.documents()) {
        if (n++ === count) return;
        yield doc;
      }
    },
  };
}

/** Every file a dataset consists of, the manifest last. */
const filesOf = (manifest: Manifest) => [
  ...manifest.shards.flatMap((s) => [s.ids, s.tokens]),
  { file: 'manifest.json', bytes: -1, blake2b256: '' },
];

describe('datasets in the object store (cohort data publish / inspect --store)', () => {
  const root = mkdtempSync(join(tmpdir(), 'cohort-ds-'));
  const dir = join(root, 'brown');
  let store: ServiceProcess;
  let address: string;
  let client: StoreClient;
  let manifest: Manifest;
  let manifestHash: string;

  before(async () => {
    const summary = await prepareDataset({
      corpus: brownHead(40),
      outDir: dir,
      seqLen: 64,
      samplesPerShard: 400,
    });
    manifest = summary.manifest;
    manifestHash = hex(blake2b256(await readFile(join(dir, 'manifest.json'))));
    store = spawnService('checkpoint-store', {
      env: { COHORT_RUN_ID: 'dataset-store', COHORT_FS_ROOT: join(root, 'bucket') },
    });
    address = `127.0.0.1:${(await store.ports(60_000)).grpc}`;
    await store.waitForEvent('service_serving', 60_000);
    client = new StoreClient(address);
  });
  after(async () => {
    client.close();
    await store.stop('SIGTERM');
    await rm(root, { recursive: true, force: true });
  });

  test('the test dataset has several train shards', () => {
    assert.ok(manifest.shards.filter((s) => s.split === 'train').length >= 3, JSON.stringify(manifest));
    assert.ok(manifest.shards.some((s) => s.split === 'heldout'));
  });

  test('putFile streams a file in chunks, checked against its hash', async () => {
    const small = new StoreClient(address, { chunkBytes: 1000 });
    try {
      const shard = manifest.shards[0]!.tokens;
      const path = join(dir, shard.file);
      const expected = Buffer.from(shard.blake2b256, 'hex');
      const put = await small.putFile(`scratch/${shard.file}`, path, { blake2b256: expected });
      assert.equal(put.created, true);
      assert.equal(put.info?.sizeBytes, BigInt(shard.bytes));
      const got = await small.get(`scratch/${shard.file}`);
      assert.deepEqual(Buffer.from(got?.bytes ?? []), await readFile(path));
      assert.equal((await small.putFile(`scratch/${shard.file}`, path)).created, false);
      await assert.rejects(
        small.putFile(`scratch/wrong-hash`, path, { blake2b256: new Uint8Array(32) }),
        (e: { reason?: string }) => e.reason === 'HASH_MISMATCH',
      );
      assert.equal(await small.head('scratch/wrong-hash'), undefined, 'nothing stored');
    } finally {
      small.close();
    }
  });

  test('publish uploads every file with its size, the manifest last, and prints the hash to pin', async () => {
    const res = await cohort(['data', 'publish', dir, '--store', address, '--prefix', PREFIX]);
    assert.equal(res.code, 0, res.stderr);
    const files = filesOf(manifest);
    for (const f of files) {
      const info = await client.head(PREFIX + f.file);
      assert.ok(info, `${f.file} is in the store`);
      if (f.bytes >= 0) {
        assert.equal(info.sizeBytes, BigInt(f.bytes), f.file);
        assert.equal(hex(info.blake2b256), f.blake2b256, f.file);
      }
    }
    const stored = await client.get(`${PREFIX}manifest.json`);
    assert.equal(hex(blake2b256(stored?.bytes ?? new Uint8Array())), manifestHash);
    assert.equal((await client.list(PREFIX)).length, files.length);
    const uploaded = res.stderr.split('\n').filter((l) => l.includes(' uploaded '));
    assert.equal(uploaded.length, files.length);
    assert.ok(uploaded.at(-1)?.includes(`${PREFIX}manifest.json`), 'the manifest goes last');
    assert.match(
      res.stdout,
      new RegExp(`files: +${files.length} \\(\\d+ bytes\\): ${files.length} created, 0 already there`),
    );
    assert.match(res.stdout, new RegExp(`datasetManifestHash ${manifestHash}$`, 'm'));
  });

  test('publishing again changes nothing: every file is already there', async () => {
    const res = await cohort(['data', 'publish', dir, '--store', address, '--prefix', PREFIX]);
    assert.equal(res.code, 0, res.stderr);
    const n = filesOf(manifest).length;
    assert.match(res.stdout, new RegExp(`files: +${n} \\(\\d+ bytes\\): 0 created, ${n} already there`));
    assert.match(res.stdout, new RegExp(manifestHash));
  });

  test('inspect --store verifies the published dataset by range', async () => {
    const res = await cohort(['data', 'inspect', '--store', address, '--prefix', PREFIX]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /cohort-shards\/1, seq_len 64/);
    assert.match(res.stdout, /^verified: /m);
    assert.match(res.stdout, new RegExp(`^manifest blake2b256: ${manifestHash}$`, 'm'));
    for (const s of manifest.shards) assert.match(res.stdout, new RegExp(`^  ${s.name} `, 'm'));
  });

  test('a corrupt dataset is refused: locally before upload, in the store by inspect', async () => {
    const bad = join(root, 'tampered');
    await cp(dir, bad, { recursive: true });
    const shard = manifest.shards[1]!.tokens;
    const bytes = await readFile(join(bad, shard.file));
    bytes[5] = bytes[5]! ^ 0x01; // one token, one bit; the manifest stays the original
    await writeFile(join(bad, shard.file), bytes);
    const prefix = 'datasets/tampered/';

    const refused = await cohort(['data', 'publish', bad, '--store', address, '--prefix', prefix]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(refused.reason, 'SHARD_HASH_MISMATCH');
    assert.deepEqual(await client.list(prefix), [], 'nothing was sent');

    // A store holding bad bytes under the manifest's name (written without the expected hash).
    for (const f of filesOf(manifest)) {
      await client.put(prefix + f.file, await readFile(join(bad, f.file)));
    }
    const caught = await cohort(['data', 'inspect', '--store', address, '--prefix', prefix]);
    assert.equal(caught.code, 1, caught.stderr);
    assert.ok(
      caught.reason === 'SHARD_HASH_MISMATCH' || caught.reason === 'SAMPLE_ID_MISMATCH',
      caught.stderr,
    );

    // Publishing the good copy there finds other bytes under that key: refused, naming it.
    const clash = await cohort(['data', 'publish', dir, '--store', address, '--prefix', prefix]);
    assert.equal(clash.code, 1, clash.stderr);
    assert.equal(clash.reason, 'OBJECT_EXISTS');
    assert.ok(clash.stderr.includes(prefix + shard.file), clash.stderr);
  });

  test('inspect --store of a prefix with nothing under it is SHARD_FILE_MISSING', async () => {
    const res = await cohort(['data', 'inspect', '--store', address, '--prefix', 'datasets/none']);
    assert.equal(res.code, 1, res.stderr);
    assert.equal(res.reason, 'SHARD_FILE_MISSING');
  });
});
