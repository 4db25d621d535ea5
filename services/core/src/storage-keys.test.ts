import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeSs58 } from './hotkey-signature.js';
import {
  StorageKeyError,
  aggregateKey,
  checkpointKeys,
  keyAllowsOverwrite,
  latestKey,
  parseKey,
  runPrefix,
  scoreKey,
  scoresPrefix,
  selectionKey,
  tryParseKey,
  updateKey,
  updatesPrefix,
  validateKey,
  validateKeyPrefix,
  windowFromKey,
} from './storage-keys.js';
import type { StorageKeyRule } from './storage-keys.js';

// Substrate's well-known dev accounts (Alice, Bob) with Bittensor's prefix 42.
const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const BOB = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';

const rule = (expected: StorageKeyRule) => (error: unknown) => {
  assert.ok(error instanceof StorageKeyError, String(error));
  assert.equal(error.reason, 'BAD_KEY');
  assert.equal(error.rule, expected);
  assert.equal(error.details['rule'], expected);
  return true;
};

test('builders write the protocol §8 layout', () => {
  assert.equal(runPrefix('devnet'), 'cohort/v1/devnet/');
  assert.equal(updateKey('devnet', 12, ALICE), `cohort/v1/devnet/updates/12/${ALICE}`);
  assert.equal(updatesPrefix('devnet', 12), 'cohort/v1/devnet/updates/12/');
  assert.equal(aggregateKey('devnet', 0), 'cohort/v1/devnet/aggregates/0');
  assert.equal(selectionKey('r.1_x-y', 7), 'cohort/v1/r.1_x-y/selections/7');
  assert.equal(scoreKey('devnet', 12, BOB), `cohort/v1/devnet/scores/12/${BOB}.json`);
  assert.equal(scoresPrefix('devnet', 12), 'cohort/v1/devnet/scores/12/');
  assert.deepEqual(checkpointKeys('devnet', 100), {
    model: 'cohort/v1/devnet/checkpoints/100/model.safetensors',
    config: 'cohort/v1/devnet/checkpoints/100/config.json',
    manifest: 'cohort/v1/devnet/checkpoints/100/manifest.json',
  });
  assert.equal(latestKey('devnet'), 'cohort/v1/devnet/LATEST');
  assert.equal(aggregateKey('r', Number.MAX_SAFE_INTEGER), 'cohort/v1/r/aggregates/9007199254740991');
});

test('builders refuse bad runs, windows and hotkeys', () => {
  for (const run of ['', '.', '..', 'Devnet', 'a/b', 'a b', 'x'.repeat(33)]) {
    assert.throws(() => aggregateKey(run, 1), rule('BAD_RUN'), run);
  }
  assert.equal(latestKey('x'.repeat(32)), `cohort/v1/${'x'.repeat(32)}/LATEST`);
  for (const window of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1, Infinity]) {
    assert.throws(() => aggregateKey('r', window), rule('BAD_WINDOW'), String(window));
  }
  const zeroKey = new Uint8Array(32);
  for (const hotkey of [
    '',
    'alice',
    ALICE.slice(0, -1) + (ALICE.endsWith('Y') ? 'Z' : 'Y'), // bad checksum
    encodeSs58(zeroKey, 0), // a valid address, but not with Bittensor's prefix
    `${ALICE}/x`,
  ]) {
    assert.throws(() => updateKey('r', 1, hotkey), rule('BAD_HOTKEY'), hotkey);
    assert.throws(() => scoreKey('r', 1, hotkey), rule('BAD_HOTKEY'), hotkey);
  }
});

test('parseKey inverts every builder', () => {
  const cases: [string, unknown][] = [
    [updateKey('devnet', 12, ALICE), { kind: 'update', run: 'devnet', window: 12, hotkey: ALICE }],
    [aggregateKey('devnet', 3), { kind: 'aggregate', run: 'devnet', window: 3 }],
    [selectionKey('devnet', 0), { kind: 'selection', run: 'devnet', window: 0 }],
    [scoreKey('devnet', 9, BOB), { kind: 'score', run: 'devnet', window: 9, hotkey: BOB }],
    [latestKey('devnet'), { kind: 'latest', run: 'devnet' }],
  ];
  const ck = checkpointKeys('devnet', 100);
  cases.push([ck.model, { kind: 'checkpoint', run: 'devnet', window: 100, file: 'model.safetensors' }]);
  cases.push([ck.config, { kind: 'checkpoint', run: 'devnet', window: 100, file: 'config.json' }]);
  cases.push([ck.manifest, { kind: 'checkpoint', run: 'devnet', window: 100, file: 'manifest.json' }]);
  for (const [key, expected] of cases) {
    assert.deepEqual(parseKey(key), expected, key);
    assert.deepEqual(tryParseKey(key), expected, key);
  }
});

test('parseKey refuses keys outside the layout with a rule', () => {
  const cases: [string, StorageKeyRule][] = [
    ['cohort/v2/devnet/LATEST', 'UNKNOWN_LAYOUT'],
    ['other/v1/devnet/LATEST', 'UNKNOWN_LAYOUT'],
    ['cohort/v1/devnet', 'UNKNOWN_LAYOUT'],
    ['cohort/v1/devnet/latest', 'UNKNOWN_LAYOUT'],
    ['cohort/v1/devnet/aggregates', 'UNKNOWN_LAYOUT'],
    ['cohort/v1/devnet/aggregates/1/x', 'UNKNOWN_LAYOUT'],
    ['cohort/v1/devnet/updates/1', 'UNKNOWN_LAYOUT'],
    ['cohort/v1/devnet/checkpoints/1/weights.bin', 'UNKNOWN_LAYOUT'],
    [`cohort/v1/devnet/scores/1/${ALICE}`, 'UNKNOWN_LAYOUT'],
    ['cohort/v1/devnet/aggregates/01', 'BAD_WINDOW'],
    ['cohort/v1/devnet/aggregates/-1', 'BAD_WINDOW'],
    ['cohort/v1/devnet/aggregates/1e3', 'BAD_WINDOW'],
    ['cohort/v1/devnet/aggregates/9007199254740992', 'BAD_WINDOW'],
    ['cohort/v1/devnet/aggregates/12345678901234567', 'BAD_WINDOW'],
    ['cohort/v1/Devnet/LATEST', 'BAD_RUN'],
    ['cohort/v1/devnet/updates/1/alice', 'BAD_HOTKEY'],
    ['cohort/v1/devnet/scores/1/alice.json', 'BAD_HOTKEY'],
    ['cohort/v1/../LATEST', 'DOT_SEGMENT'],
  ];
  for (const [key, expected] of cases) {
    assert.throws(() => parseKey(key), rule(expected), key);
    assert.equal(tryParseKey(key), undefined, key);
  }
});

test('validateKey: charset, length and path rules', () => {
  assert.equal(validateKey('a/B-c_d.e/0'), 'a/B-c_d.e/0');
  assert.equal(validateKey('x'.repeat(255)), 'x'.repeat(255));
  const long = Array.from({ length: 8 }, () => 'y'.repeat(127)).join('/'); // 1023 bytes
  assert.equal(validateKey(long), long);
  const cases: [string, StorageKeyRule][] = [
    ['', 'EMPTY'],
    [`${long}/a`, 'TOO_LONG'],
    ['é'.repeat(513), 'TOO_LONG'], // 513 characters, 1026 bytes
    ['x'.repeat(256), 'SEGMENT_TOO_LONG'],
    ['a\u0000b', 'CONTROL_CHAR'],
    ['a\nb', 'CONTROL_CHAR'],
    ['a\u007fb', 'CONTROL_CHAR'],
    ['a\u0085b', 'CONTROL_CHAR'],
    ['a\u2028b', 'CONTROL_CHAR'],
    ['a\\b', 'BACKSLASH'],
    ['/a', 'LEADING_SLASH'],
    ['a b', 'BAD_CHAR'],
    ['a:b', 'BAD_CHAR'],
    ['a%2e', 'BAD_CHAR'],
    ['é', 'BAD_CHAR'],
    ['a//b', 'EMPTY_SEGMENT'],
    ['a/', 'EMPTY_SEGMENT'],
    ['./a', 'DOT_SEGMENT'],
    ['a/./b', 'DOT_SEGMENT'],
    ['a/..', 'DOT_SEGMENT'],
    ['..', 'DOT_SEGMENT'],
  ];
  for (const [key, expected] of cases) assert.throws(() => validateKey(key), rule(expected), key);
  assert.throws(() => validateKey(7 as unknown as string), rule('BAD_CHAR'));
  // Dots inside a segment are fine.
  assert.equal(validateKey('a/..b/c..'), 'a/..b/c..');
});

test('validateKeyPrefix allows empty and folder prefixes only', () => {
  assert.equal(validateKeyPrefix(''), '');
  assert.equal(validateKeyPrefix('cohort/v1/'), 'cohort/v1/');
  assert.equal(validateKeyPrefix('cohort/v1/r/updates/1'), 'cohort/v1/r/updates/1');
  assert.throws(() => validateKeyPrefix('/'), rule('LEADING_SLASH'));
  assert.throws(() => validateKeyPrefix('a//'), rule('EMPTY_SEGMENT'));
  assert.throws(() => validateKeyPrefix('a/../'), rule('DOT_SEGMENT'));
});

test('windowFromKey: numeric order is not key order', () => {
  const keys = [aggregateKey('r', 10), aggregateKey('r', 9), aggregateKey('r', 100)];
  assert.deepEqual([...keys].sort(), [
    'cohort/v1/r/aggregates/10',
    'cohort/v1/r/aggregates/100',
    'cohort/v1/r/aggregates/9',
  ]);
  const byWindow = [...keys].sort((a, b) => (windowFromKey(a) ?? -1) - (windowFromKey(b) ?? -1));
  assert.deepEqual(byWindow.map(windowFromKey), [9, 10, 100]);
  assert.equal(windowFromKey(latestKey('r')), undefined);
  assert.equal(windowFromKey('not/a/layout/key'), undefined);
  assert.equal(windowFromKey(updateKey('r', 42, ALICE)), 42);
});

test('only LATEST may be overwritten', () => {
  assert.equal(keyAllowsOverwrite(latestKey('r')), true);
  for (const key of [
    updateKey('r', 1, ALICE),
    aggregateKey('r', 1),
    selectionKey('r', 1),
    scoreKey('r', 1, ALICE),
    checkpointKeys('r', 1).manifest,
    'cohort/v1/r/latest',
    'some/other/LATEST',
    '../LATEST',
  ]) {
    assert.equal(keyAllowsOverwrite(key), false, key);
  }
});
