import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CohortError, Code } from '@cohort/core';
import { DEVNET_DEFAULTS } from '@cohort/devnet';
import { runCli } from '../run-cli.js';
import { devnetFlags, devnetUsage } from './devnet.js';

const invalid = (reason: string) => (e: unknown) =>
  e instanceof CohortError && e.code === Code.InvalidArgument && e.reason === reason;

test('no flags: the defaults', () => {
  assert.deepEqual(devnetFlags([]), DEVNET_DEFAULTS);
});

test('each flag sets its option, the rest keep their defaults', () => {
  assert.deepEqual(
    devnetFlags([
      '--miners',
      '3',
      '--windows',
      '4',
      '--evaluators',
      '1',
      '--block-ms',
      '500',
      '--blocks-per-window',
      '12',
      '--checkpoint-every',
      '2',
      '--out',
      '/tmp/r',
      '--keep',
      '--adversaries',
      'poisoner,copier',
      '--preset',
      'devnet',
      '--local-dataset',
    ]),
    {
      ...DEVNET_DEFAULTS,
      miners: 3,
      windows: 4,
      evaluators: 1,
      blockMs: 500,
      blocksPerWindow: 12,
      checkpointEvery: 2,
      out: '/tmp/r',
      keep: true,
      localDataset: true,
      adversaries: ['flipped', 'copier'],
    },
  );
  assert.deepEqual(devnetFlags(['--adversaries', 'poisoner']).adversaries, ['flipped']);
  assert.deepEqual(devnetFlags(['--adversaries', 'none']).adversaries, []);
  assert.deepEqual(devnetFlags(['--block-ms=250']), { ...DEVNET_DEFAULTS, blockMs: 250 });
});

test('misuse is InvalidArgument with a reason', () => {
  const cases: [string[], string][] = [
    [['--windows', 'x'], 'INVALID_FLAG_VALUE'],
    [['--windows', '-3'], 'INVALID_FLAGS'], // a flag-like value is refused by parseArgs
    [['--miners', '2.5'], 'INVALID_FLAG_VALUE'],
    [['--windows', '1'], 'DEVNET_OPTION'],
    [['--block-ms', '10'], 'DEVNET_OPTION'],
    [['--preset', 'huge'], 'DEVNET_OPTION'],
    [['--adversaries', 'flipped,poisoner'], 'DUPLICATE_ADVERSARY'],
    [['--adversaries', 'sneaky'], 'UNKNOWN_ADVERSARY'],
    [['--frobnicate'], 'INVALID_FLAGS'],
    [['--windows'], 'INVALID_FLAGS'],
    [['--keep=yes'], 'INVALID_FLAGS'],
    [['now'], 'INVALID_FLAGS'],
  ];
  for (const [args, reason] of cases) assert.throws(() => devnetFlags(args), invalid(reason), args.join(' '));
});

test('a range error names the flag as typed: --block-ms, --blocks-per-window, --checkpoint-every', () => {
  for (const [flag, value] of [
    ['--block-ms', '10'],
    ['--blocks-per-window', '4'],
    ['--checkpoint-every', '0'],
  ] as const) {
    assert.throws(
      () => devnetFlags([flag, value]),
      (e: unknown) => invalid('DEVNET_OPTION')(e) && (e as Error).message.startsWith(`${flag} must be`),
      flag,
    );
  }
});

test('cohort devnet --help prints the usage and runs nothing', async () => {
  assert.equal(await runCli(['devnet', '--help']), devnetUsage);
  assert.equal(await runCli(['devnet', '-h']), devnetUsage);
  assert.match(devnetUsage, /^usage: cohort devnet \[options\]/);
  for (const flag of [
    '--miners',
    '--adversaries',
    '--windows',
    '--block-ms',
    '--checkpoint-every',
    '--out',
    '--keep',
  ]) {
    assert.ok(devnetUsage.includes(`  ${flag} `), flag);
  }
  assert.match(devnetUsage, /\(default copier,poisoner; poisoner = flipped;/);
  assert.match(await runCli(['help']), /^ {2}devnet +the whole network on this machine/m);
});
