import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CohortError, Code } from '@cohort/core';
import { MAX_DOCUMENT_BYTES, utf8Lines } from './utf8-lines.js';
import type { TextLine } from './utf8-lines.js';

const root = await mkdtemp(join(tmpdir(), 'cohort-utf8-lines-'));
after(() => rm(root, { recursive: true, force: true }));
let files = 0;

async function lines(bytes: Uint8Array | string, max?: number): Promise<TextLine[]> {
  const file = join(root, `f${files++}.txt`);
  await writeFile(file, bytes);
  const out: TextLine[] = [];
  for await (const line of utf8Lines(file, max)) out.push(line);
  return out;
}

const failsWith =
  (reason: string, pattern: RegExp, details: Record<string, unknown> = {}) =>
  (e: unknown): boolean =>
    e instanceof CohortError &&
    e.reason === reason &&
    e.code === Code.InvalidArgument &&
    pattern.test(e.message) &&
    Object.entries(details).every(([k, v]) => e.details[k] === v);

test('the cap is 64 MiB', () => {
  assert.equal(MAX_DOCUMENT_BYTES, 64 * 1024 * 1024);
});

test('lines end at LF, CRLF and a lone CR, as node:readline splits them; numbered from 1', async () => {
  const got = await lines('a\nb\r\nc\rd\n\ne');
  assert.deepEqual(
    got.map((l) => [l.number, l.text, l.end]),
    [
      [1, 'a', '\n'],
      [2, 'b', '\r\n'],
      [3, 'c', '\r'],
      [4, 'd', '\n'],
      [5, '', '\n'],
      [6, 'e', ''],
    ],
  );
  assert.deepEqual(await lines('x\n'), [{ number: 1, text: 'x', bytes: 1, end: '\n' }]);
  assert.deepEqual(await lines(''), []);
});

test('a CRLF and a multi-byte character split across read chunks (64 KiB) are read whole', async () => {
  const a = 'a'.repeat(64 * 1024 - 1);
  assert.deepEqual(
    (await lines(`${a}\r\nb`)).map((l) => [l.text.length, l.end]),
    [
      [a.length, '\r\n'],
      [1, ''],
    ],
  );
  assert.deepEqual(
    (await lines(`${a}\rb`)).map((l) => l.end),
    ['\r', ''],
  );
  const split = await lines(`${a}é✓\n`);
  assert.equal(split[0]!.text, `${a}é✓`);
  assert.equal(split[0]!.bytes, a.length + 2 + 3);
});

test('a leading byte order mark is dropped; one later in the file is text', async () => {
  const got = await lines('\uFEFFfirst\n\uFEFFsecond');
  assert.deepEqual(
    got.map((l) => [l.text, l.bytes]),
    [
      ['first', 5],
      ['\uFEFFsecond', 9],
    ],
  );
});

test('invalid UTF-8 is INPUT_INVALID naming file and line, never U+FFFD', async () => {
  const bad = Buffer.concat([
    Buffer.from('ok\nalso ok\nbro'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('ken\n'),
  ]);
  await assert.rejects(
    lines(bad),
    failsWith('INPUT_INVALID', /f\d+\.txt:3: not valid UTF-8$/, { line: 3, offset: 11 }),
  );
  // A truncated sequence at the end of the file, and an overlong encoding of '/'.
  await assert.rejects(lines(Buffer.from([0x61, 0x0a, 0xe2, 0x9c])), failsWith('INPUT_INVALID', /:2: /));
  await assert.rejects(lines(Buffer.from([0xc0, 0xaf])), failsWith('INPUT_INVALID', /:1: /));
  // A literal U+FFFD is valid text.
  assert.equal((await lines('\uFFFD'))[0]!.text, '\uFFFD');
});

test('a line longer than the cap is INPUT_TOO_LARGE naming file and line, before it is decoded', async () => {
  assert.deepEqual(
    (await lines('12345678\nabc', 8)).map((l) => l.text),
    ['12345678', 'abc'],
  );
  await assert.rejects(
    lines('short\n123456789\n', 8),
    failsWith('INPUT_TOO_LARGE', /f\d+\.txt:2: the line is longer than 8 bytes/, { line: 2, limit: 8 }),
  );
  // Counted in bytes, not characters: four 3-byte characters are 12 bytes.
  await assert.rejects(lines('✓✓✓✓', 8), failsWith('INPUT_TOO_LARGE', /:1: /));
});

test('an unreadable file (a directory here) is INPUT_UNREADABLE naming it', async () => {
  const read = async (): Promise<void> => {
    for await (const line of utf8Lines(root)) assert.fail(line.text);
  };
  await assert.rejects(
    read(),
    failsWith('INPUT_UNREADABLE', /^cannot read .*cohort-utf8-lines-/, { file: root }),
  );
});
