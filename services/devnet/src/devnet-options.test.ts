import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CohortError, Code } from '@cohort/core';
import { DEVNET_DEFAULTS, devnetOptions, parseAdversaries } from './devnet-options.js';
import type { DevnetOptions } from './devnet-options.js';

const invalid = (reason: string, mentions?: string) => (e: unknown) =>
  e instanceof CohortError &&
  e.code === Code.InvalidArgument &&
  e.reason === reason &&
  (mentions === undefined || e.message.includes(mentions));

test('parseAdversaries: names in order, trimmed, aliases resolved', () => {
  assert.deepEqual(parseAdversaries('copier, poisoner ,noisy,lazy'), ['copier', 'flipped', 'noise', 'lazy']);
  assert.deepEqual(parseAdversaries('flipped'), ['flipped']);
});

test('parseAdversaries: none or empty is no adversaries', () => {
  for (const text of ['', 'none', ' none ', ',', ' , ']) assert.deepEqual(parseAdversaries(text), [], text);
});

test('parseAdversaries: an unknown name is UNKNOWN_ADVERSARY, naming it and the choices', () => {
  assert.throws(() => parseAdversaries('copier,sneaky'), invalid('UNKNOWN_ADVERSARY', '"sneaky"'));
  assert.throws(() => parseAdversaries('copier,sneaky'), invalid('UNKNOWN_ADVERSARY', 'poisoner'));
  // Case matters: names are exact.
  assert.throws(() => parseAdversaries('Copier'), invalid('UNKNOWN_ADVERSARY'));
});

test('parseAdversaries: a name given twice is DUPLICATE_ADVERSARY, also through an alias', () => {
  for (const text of ['copier,copier', 'flipped,poisoner', 'poisoner,flipped', 'noise,noisy']) {
    assert.throws(() => parseAdversaries(text), invalid('DUPLICATE_ADVERSARY'), text);
  }
});

test('devnetOptions: nothing given is the defaults; given fields override only themselves', () => {
  assert.deepEqual(devnetOptions({}), DEVNET_DEFAULTS);
  const o = devnetOptions({ miners: 2, windows: 3, adversaries: [], keep: true, out: 'r' });
  assert.deepEqual(o, { ...DEVNET_DEFAULTS, miners: 2, windows: 3, adversaries: [], keep: true, out: 'r' });
});

test('devnetOptions: the bounds themselves are accepted', () => {
  const low = {
    miners: 1,
    windows: 2,
    evaluators: 1,
    blockMs: 200,
    blocksPerWindow: 5,
    checkpointEvery: 1,
    heldoutSamples: 1,
  };
  const high = {
    miners: 16,
    windows: 1000,
    evaluators: 8,
    blockMs: 60_000,
    blocksPerWindow: 600,
    checkpointEvery: 1000,
    heldoutSamples: 4096,
  };
  assert.deepEqual(devnetOptions(low), { ...DEVNET_DEFAULTS, ...low });
  assert.deepEqual(devnetOptions(high), { ...DEVNET_DEFAULTS, ...high });
});

test('devnetOptions: each out-of-range field is DEVNET_OPTION naming its flag', () => {
  const cases: [Partial<DevnetOptions>, string][] = [
    [{ miners: 0 }, '--miners'],
    [{ miners: 17 }, '--miners'],
    [{ miners: 1.5 }, '--miners'],
    [{ windows: 1 }, '--windows'],
    [{ windows: 1001 }, '--windows'],
    [{ windows: Number.NaN }, '--windows'],
    [{ evaluators: 0 }, '--evaluators'],
    [{ evaluators: 9 }, '--evaluators'],
    [{ blockMs: 199 }, '--block-ms must be an integer in [200, 60000], got 199'],
    [{ blockMs: 60_001 }, '--block-ms'],
    [{ blocksPerWindow: 4 }, '--blocks-per-window must be an integer in [5, 600], got 4'],
    [{ blocksPerWindow: 601 }, '--blocks-per-window'],
    [{ checkpointEvery: 0 }, '--checkpoint-every must be an integer in [1, 1000], got 0'],
    [{ checkpointEvery: 1001 }, '--checkpoint-every'],
    [{ heldoutSamples: 0 }, 'the heldoutSamples option must be'],
    [{ heldoutSamples: 4097 }, 'the heldoutSamples option'],
    [{ out: '  ' }, '--out'],
  ];
  for (const [partial, flag] of cases) {
    assert.throws(() => devnetOptions(partial), invalid('DEVNET_OPTION', flag), JSON.stringify(partial));
    // Errors name only flags `cohort devnet` has: kebab-case, never an option's camelCase name.
    assert.throws(
      () => devnetOptions(partial),
      (e: unknown) => e instanceof Error && !/--[a-z]+[A-Z]/.test(e.message),
      JSON.stringify(partial),
    );
  }
});

test('devnetOptions: an unknown preset is DEVNET_OPTION naming it', () => {
  assert.throws(
    () => devnetOptions({ preset: 'tiny' as DevnetOptions['preset'] }),
    invalid('DEVNET_OPTION', '"tiny"'),
  );
  assert.throws(
    () => devnetOptions({ preset: 'tiny' as DevnetOptions['preset'] }),
    invalid('DEVNET_OPTION', '--preset'),
  );
});
