import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CohortError, Code } from '@cohort/core';
import { HelpRequested, parseFlags } from './parse-flags.js';
import type { FlagSpec } from './parse-flags.js';

const spec: FlagSpec = { out: { type: 'string' }, force: { type: 'boolean' } };
const usage = 'usage: cohort thing --out <dir> [--force]';
const help = (e: unknown): boolean => e instanceof HelpRequested && e.usage === usage;
const misuse = (e: unknown): boolean =>
  e instanceof CohortError && e.code === Code.InvalidArgument && e.reason === 'INVALID_FLAGS';

test('--help and -h, anywhere among the flags, throw HelpRequested with the usage', () => {
  for (const args of [
    ['--help'],
    ['-h'],
    ['--out', 'x', '--help'],
    ['--force', '-h', '--out', 'x'],
    ['--bogus', '--help'],
    ['stray', 'more', '-h'],
  ]) {
    assert.throws(() => parseFlags(args, spec, 0, usage), help, args.join(' '));
  }
});

test('"--help" as a flag value or after "--" is not a request for help', () => {
  assert.deepEqual({ ...parseFlags(['--out=--help'], spec, 0, usage).values }, { out: '--help' });
  assert.deepEqual(parseFlags(['--', '--help'], spec, 1, usage).positionals, ['--help']);
  // A flag-like value is refused as ambiguous, as for any other value starting with "-".
  assert.throws(() => parseFlags(['--out', '--help'], spec, 0, usage), misuse);
});

test('without help, misuse is still INVALID_FLAGS', () => {
  assert.throws(() => parseFlags(['--bogus'], spec, 0, usage), misuse);
  assert.throws(() => parseFlags(['stray'], spec, 0, usage), misuse);
  assert.deepEqual(
    { ...parseFlags(['--out', 'd', '--force'], spec, 0, usage).values },
    { out: 'd', force: true },
  );
});
