import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, describe, test } from 'node:test';
import { CohortError } from '@cohort/core';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { parquetWriteFile } from 'hyparquet-writer';
import type { Corpus } from './corpus.js';
import { createLocalStore } from './local-store.js';
import { openDataset } from './dataset-reader.js';
import { createJsonlCorpus } from './jsonl-corpus.js';
import { createParquetCorpus } from './parquet-corpus.js';
import { prepareDataset } from './prepare-dataset.js';
import { createTextCorpus } from './text-corpus.js';
import { createGpt2Tokenizer } from './tokenizer.js';

const root = await mkdtemp(join(tmpdir(), 'cohort-corpus-'));
after(() => rm(root, { recursive: true, force: true }));
const reason = (r: string) => (e: unknown) => e instanceof CohortError && e.reason === r;
const message = (r: string, pattern: RegExp) => (e: unknown) =>
  reason(r)(e) && (e as CohortError).code === 3 && pattern.test((e as Error).message);
const tokenizer = createGpt2Tokenizer();

async function collect(corpus: Corpus): Promise<string[]> {
  const out: string[] = [];
  for await (const d of corpus.documents()) out.push(d);
  return out;
}

/** Prepare `corpus` and decode the whole train split back to text. */
async function roundTrip(corpus: Corpus, name: string): Promise<string> {
  const outDir = join(root, `out-${name}`);
  await prepareDataset({ corpus, outDir, seqLen: 4, heldOutFraction: 0 });
  const dataset = await openDataset(createLocalStore(outDir), { verify: true });
  const tokens: number[] = [];
  for (const shard of dataset.shards) {
    for (let i = 0; i < shard.entry.samples; i++) tokens.push(...(await shard.readSample(i)));
  }
  await dataset.close();
  return tokenizer.decode(tokens);
}

const docs = ['First document, with "quotes".', 'Second one:\nit has two lines.', 'Third — ünïcode ✓.'];

describe('plain text', () => {
  test('a single file splits on blank lines (CRLF and whitespace-only lines included)', async () => {
    const file = join(root, 'book.txt');
    await writeFile(file, `\n${docs[0]}\r\n \r\n${docs[1]!.replace('\n', '\r\n')}\n\n\n${docs[2]}\n`);
    assert.deepEqual(await collect(createTextCorpus(file)), docs);
    const text = await roundTrip(createTextCorpus(file), 'text-file');
    assert.ok(text.startsWith(`${docs[0]}<|endoftext|>${docs[1]}<|endoftext|>`), text);
  });

  test('a directory is one document per *.txt file, in path order, recursively', async () => {
    const dir = join(root, 'texts');
    await mkdir(join(dir, 'sub'), { recursive: true });
    await writeFile(join(dir, 'b.txt'), 'bee\n\nstill bee');
    await writeFile(join(dir, 'a.txt'), 'ay');
    await writeFile(join(dir, 'sub', 'c.txt'), 'sea');
    await writeFile(join(dir, 'notes.md'), 'ignored');
    assert.deepEqual(await collect(createTextCorpus(dir)), ['ay', 'bee\n\nstill bee', 'sea']);
  });

  test('a leading BOM is dropped, in a single file and in a directory', async () => {
    const file = join(root, 'bom.txt');
    await writeFile(file, `\uFEFF${docs[0]}\n\n${docs[1]}`);
    assert.deepEqual(await collect(createTextCorpus(file)), [docs[0], docs[1]]);
    const dir = join(root, 'bom-dir');
    await mkdir(dir);
    await writeFile(join(dir, 'a.txt'), `\uFEFF${docs[1]!.replace('\n', '\r\n')}\r`);
    assert.deepEqual(await collect(createTextCorpus(dir)), [`${docs[1]}\r`]);
  });

  test('invalid UTF-8 is INPUT_INVALID naming file and line', async () => {
    const file = join(root, 'latin1.txt');
    await writeFile(
      file,
      Buffer.concat([Buffer.from('fine\n\ncaf'), Buffer.from([0xe9]), Buffer.from('\n')]),
    );
    await assert.rejects(
      collect(createTextCorpus(file)),
      message('INPUT_INVALID', /latin1\.txt:3: not valid UTF-8/),
    );
    const dir = join(root, 'latin1-dir');
    await mkdir(dir);
    await writeFile(join(dir, 'x.txt'), Buffer.from([0x61, 0x0a, 0xe9]));
    await assert.rejects(
      collect(createTextCorpus(dir)),
      message('INPUT_INVALID', /x\.txt:2: not valid UTF-8/),
    );
  });

  test('a document over the cap is INPUT_TOO_LARGE naming file and first line', async () => {
    const file = join(root, 'no-blank-lines.txt');
    await writeFile(file, 'one\n\n12345\n12345\n12345\n');
    const limits = { maxDocumentBytes: 12 };
    await assert.rejects(
      collect(createTextCorpus(file, limits)),
      message('INPUT_TOO_LARGE', /no-blank-lines\.txt:3: the document starting here .* longer than 12 bytes/),
    );
    assert.deepEqual(await collect(createTextCorpus(file, { maxDocumentBytes: 17 })), [
      'one',
      '12345\n12345\n12345',
    ]);
    const dir = join(root, 'big-dir');
    await mkdir(dir);
    await writeFile(join(dir, 'big.txt'), '1234\r\n1234\r\n1234');
    await assert.rejects(
      collect(createTextCorpus(dir, limits)),
      message('INPUT_TOO_LARGE', /big\.txt:1: the file/),
    );
    assert.deepEqual(await collect(createTextCorpus(dir, { maxDocumentBytes: 14 })), ['1234\n1234\n1234']);
  });

  test('a missing input is INPUT_UNREADABLE', async () => {
    await assert.rejects(collect(createTextCorpus(join(root, 'nope.txt'))), reason('INPUT_UNREADABLE'));
    await mkdir(join(root, 'empty-dir'));
    await assert.rejects(collect(createTextCorpus(join(root, 'empty-dir'))), reason('INPUT_UNREADABLE'));
  });
});

describe('JSONL', () => {
  test('documents from a configurable field; blank lines and nulls skipped', async () => {
    const file = join(root, 'web.jsonl');
    const lines = [
      JSON.stringify({ content: docs[0], url: 'a' }),
      '',
      JSON.stringify({ content: null }),
      JSON.stringify({ content: docs[1] }),
      JSON.stringify({ content: docs[2] }),
    ];
    await writeFile(file, lines.join('\n'));
    assert.deepEqual(await collect(createJsonlCorpus(file, 'content')), docs);
    const text = await roundTrip(createJsonlCorpus(file, 'content'), 'jsonl');
    assert.ok(text.startsWith(docs.join('<|endoftext|>').slice(0, 60)), text);
  });

  test('a leading BOM is dropped: line 1 is JSON', async () => {
    const file = join(root, 'bom.jsonl');
    await writeFile(
      file,
      `\uFEFF${JSON.stringify({ text: docs[0] })}\r\n${JSON.stringify({ text: docs[1] })}`,
    );
    assert.deepEqual(await collect(createJsonlCorpus(file)), [docs[0], docs[1]]);
  });

  test('invalid UTF-8 is INPUT_INVALID naming file and line; a line over the cap is INPUT_TOO_LARGE', async () => {
    const file = join(root, 'bytes.jsonl');
    const bad = Buffer.concat([
      Buffer.from('{"text": "ok"}\n{"text": "caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}\n'),
    ]);
    await writeFile(file, bad);
    await assert.rejects(
      collect(createJsonlCorpus(file)),
      message('INPUT_INVALID', /bytes\.jsonl:2: not valid UTF-8/),
    );
    await writeFile(file, `${JSON.stringify({ text: 'ok' })}\n${JSON.stringify({ text: 'x'.repeat(40) })}\n`);
    await assert.rejects(
      collect(createJsonlCorpus(file, 'text', { maxDocumentBytes: 32 })),
      message('INPUT_TOO_LARGE', /bytes\.jsonl:2: the line is longer than 32 bytes/),
    );
  });

  test('bad lines are INPUT_INVALID naming file and line', async () => {
    const file = join(root, 'bad.jsonl');
    for (const [body, pattern] of [
      ['{"text": "ok"}\n{not json', /bad\.jsonl:2: not valid JSON/],
      ['{"text": "ok"}\n[1, 2]', /bad\.jsonl:2: expected a JSON object/],
      ['{"body": "x"}', /bad\.jsonl:1: expected a string in field "text" but received undefined/],
      ['{"text": 42}', /bad\.jsonl:1: .*received 42/],
    ] as const) {
      await writeFile(file, body);
      await assert.rejects(
        collect(createJsonlCorpus(file)),
        (e: unknown) => reason('INPUT_INVALID')(e) && pattern.test((e as Error).message),
        body,
      );
    }
  });
});

describe('Parquet', () => {
  test('a text column across several row groups, Snappy and GZIP', async () => {
    const many = Array.from({ length: 9 }, (_, i) => `${docs[i % 3]} (${i})`);
    for (const codec of ['SNAPPY', 'GZIP'] as const) {
      const file = join(root, `corpus-${codec}.parquet`);
      parquetWriteFile({
        filename: file,
        columnData: [
          { name: 'id', data: Array.from({ length: 10 }, (_, i) => i), type: 'INT32' },
          { name: 'body', data: [...many.slice(0, 4), null, ...many.slice(4)], type: 'STRING' },
        ],
        codec,
        compressors: { GZIP: (input: Uint8Array) => gzipSync(input) },
        rowGroupSize: 4,
      });
      const metadata = await parquetMetadataAsync(await asyncBufferFromFile(file));
      assert.equal(metadata.row_groups.length, 3);
      assert.deepEqual(await collect(createParquetCorpus(file, 'body')), many, codec);
    }
    const text = await roundTrip(createParquetCorpus(join(root, 'corpus-GZIP.parquet'), 'body'), 'parquet');
    assert.ok(text.startsWith(`${many[0]}<|endoftext|>${many[1]}`), text);
  });

  test('a missing column or a non-Parquet file is INPUT_INVALID', async () => {
    const file = join(root, 'ids.parquet');
    parquetWriteFile({ filename: file, columnData: [{ name: 'id', data: [1, 2], type: 'INT32' }] });
    await assert.rejects(
      collect(createParquetCorpus(file)),
      (e: unknown) =>
        reason('INPUT_INVALID')(e) && /no column "text"; columns: id/.test((e as Error).message),
    );
    await assert.rejects(collect(createParquetCorpus(file, 'id')), /expected a string in "id"/);
    const junk = join(root, 'junk.parquet');
    await writeFile(junk, 'this is not parquet at all');
    await assert.rejects(collect(createParquetCorpus(junk)), reason('INPUT_INVALID'));
  });
});
