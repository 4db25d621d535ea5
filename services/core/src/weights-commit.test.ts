import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCounterPrng } from './counter-prng.js';
import { Code } from './errors.js';
import {
  WEIGHTS_ERROR_REASONS,
  WeightsError,
  checkWeights,
  newSalt,
  normalizeWeightsU16,
  weightsCommitHash,
} from './weights-commit.js';
import type { WeightsErrorReason } from './weights-commit.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const seen = new Set<WeightsErrorReason>();
const reason = (expected: WeightsErrorReason) => (error: unknown) => {
  assert.ok(error instanceof WeightsError, String(error));
  assert.equal(error.reason, expected);
  assert.equal(error.code, Code.InvalidArgument);
  seen.add(expected);
  return true;
};

test('checkWeights accepts a valid vector and names each broken rule', () => {
  checkWeights({ uids: [0, 5, 65535], weights: [0, 1, 65535] });
  checkWeights({ uids: [3, 1], weights: [1, 1], maxUids: 2 });
  const cases: [Parameters<typeof checkWeights>[0], WeightsErrorReason][] = [
    [{ uids: [1, 2], weights: [1] }, 'WEIGHTS_LENGTH_MISMATCH'],
    [{ uids: [], weights: [] }, 'WEIGHTS_EMPTY'],
    [{ uids: [1, 2, 3], weights: [1, 1, 1], maxUids: 2 }, 'WEIGHTS_TOO_MANY'],
    [{ uids: [1], weights: [1], maxUids: 0 }, 'WEIGHTS_BAD_VALUE'],
    [{ uids: [65536], weights: [1] }, 'WEIGHTS_BAD_VALUE'],
    [{ uids: [-1], weights: [1] }, 'WEIGHTS_BAD_VALUE'],
    [{ uids: [1], weights: [0.5] }, 'WEIGHTS_BAD_VALUE'],
    [{ uids: [1], weights: [Number.NaN] }, 'WEIGHTS_BAD_VALUE'],
    [{ uids: [4, 2, 4], weights: [1, 1, 1] }, 'WEIGHTS_DUPLICATE_UID'],
    [{ uids: [1, 2], weights: [0, 0] }, 'WEIGHTS_ALL_ZERO'],
  ];
  for (const [input, expected] of cases) assert.throws(() => checkWeights(input), reason(expected));
  assert.throws(
    () => checkWeights({ uids: 'x' as unknown as number[], weights: [] }),
    reason('WEIGHTS_LENGTH_MISMATCH'),
  );
});

test('normalizeWeightsU16 max-upscales to 65535 and rounds like Python', () => {
  assert.deepEqual(normalizeWeightsU16([0.5, 1, 0.25, 0]), [32768, 65535, 16384, 0]);
  assert.deepEqual(normalizeWeightsU16([3, 3]), [65535, 65535]);
  assert.deepEqual(normalizeWeightsU16([1e-300, 2e-300]), [32768, 65535]);
  assert.deepEqual(normalizeWeightsU16([0, 0, 0]), [0, 0, 0]);
  assert.deepEqual(normalizeWeightsU16([]), []);
  // Ties go to even, as Python's round(): 1/2 * 65535 = 32767.5 -> 32768; 3/6 * 65535 likewise.
  assert.deepEqual(normalizeWeightsU16([1, 2]), [32768, 65535]);
  // 1/131070 * 65535 = 0.5 exactly -> 0 (Math.round would give 1); 3/131070 * 65535 = 1.5 -> 2.
  assert.deepEqual(normalizeWeightsU16([1, 3, 131070]), [0, 2, 65535]);
  assert.deepEqual(normalizeWeightsU16([5, 131070]), [2, 65535]); // 2.5 -> 2
  for (const bad of [[-1], [Number.POSITIVE_INFINITY], [Number.NaN], ['1' as unknown as number]]) {
    assert.throws(() => normalizeWeightsU16(bad), reason('WEIGHTS_BAD_VALUE'));
  }
});

test('normalized weights always pass checkWeights (seeded)', () => {
  const prng = createCounterPrng(new TextEncoder().encode('normalize'));
  for (let round = 0; round < 200; round++) {
    const n = Number(prng.uniform(64n)) + 1;
    const scores = Array.from({ length: n }, () => Number(prng.uniform(1_000_000n)) / 1000);
    scores[Number(prng.uniform(BigInt(n)))] = 1; // never all zero
    const weights = normalizeWeightsU16(scores);
    assert.equal(Math.max(...weights), 65535);
    checkWeights({ uids: weights.map((_, i) => i), weights });
  }
});

const ACCOUNT = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

test('weightsCommitHash matches an independently computed vector', () => {
  // Expected values computed once with the polkadot-js stack, independent of this code (services/devchain):
  //   registry = new TypeRegistry() (@polkadot/types 16.5.6)
  //   enc = registry.createType('(AccountId32, u16, Vec<u16>, Vec<u16>, Vec<u16>, u64)',
  //                             [account, netuid, uids, values, salt, versionKey]).toU8a()
  //   blake2AsU8a(enc, 256) (@polkadot/util-crypto 14.0.3)
  // with account = bytes 1..32.
  const hash = weightsCommitHash({
    account: ACCOUNT,
    netuid: 3,
    uids: [0, 1, 7, 255, 4095],
    values: [65535, 1234, 0, 42, 32768],
    salt: [1, 2, 3, 4, 5, 6, 7, 8],
    versionKey: 4321n,
  });
  assert.equal(hex(hash), '2d132b380eea6eb96b0d0b0f41c6e19a7dcf8ed8f899267169aea0222e70316e');
  const edge = weightsCommitHash({
    account: ACCOUNT,
    netuid: 65535,
    uids: [65535],
    values: [1],
    salt: [65535, 0, 513],
    versionKey: (1n << 64n) - 1n,
  });
  assert.equal(hex(edge), '36f81748c349191729efcf66f51f0762a4a5c2e91858dcf84ca7302e2784ae47');
});

test('weightsCommitHash refuses inputs the chain would not reveal', () => {
  const ok = { account: ACCOUNT, netuid: 1, uids: [1], values: [1], salt: [1], versionKey: 0n };
  assert.equal(weightsCommitHash(ok).length, 32);
  const cases: [Partial<typeof ok>, WeightsErrorReason][] = [
    [{ account: new Uint8Array(31) }, 'WEIGHTS_BAD_ACCOUNT'],
    [{ netuid: 65536 }, 'WEIGHTS_BAD_VALUE'],
    [{ versionKey: -1n }, 'WEIGHTS_BAD_VALUE'],
    [{ versionKey: 1n << 64n }, 'WEIGHTS_BAD_VALUE'],
    [{ salt: [] }, 'WEIGHTS_BAD_SALT'],
    [{ salt: [65536] }, 'WEIGHTS_BAD_SALT'],
    [{ values: [0] }, 'WEIGHTS_ALL_ZERO'],
    [{ uids: [1, 2] }, 'WEIGHTS_LENGTH_MISMATCH'],
  ];
  for (const [change, expected] of cases) {
    assert.throws(() => weightsCommitHash({ ...ok, ...change }), reason(expected));
  }
  // Every input matters.
  const base = hex(weightsCommitHash(ok));
  for (const change of [{ netuid: 2 }, { salt: [2] }, { versionKey: 1n }, { values: [2] }, { uids: [2] }]) {
    assert.notEqual(hex(weightsCommitHash({ ...ok, ...change })), base);
  }
});

test('newSalt reads u16 words little-endian from the injected source', () => {
  const requested: number[] = [];
  const counting = (n: number) => {
    requested.push(n);
    return Uint8Array.from({ length: n }, (_, i) => i);
  };
  assert.deepEqual(newSalt(counting), [0x0100, 0x0302, 0x0504, 0x0706, 0x0908, 0x0b0a, 0x0d0c, 0x0f0e]);
  assert.deepEqual(newSalt(counting, 1), [0x0100]);
  assert.deepEqual(requested, [16, 2]);
  const prng = createCounterPrng(new TextEncoder().encode('salt'));
  const seeded = (n: number) => Uint8Array.from({ length: n }, () => Number(prng.uniform(256n)));
  const salt = newSalt(seeded, 256);
  assert.equal(salt.length, 256);
  assert.ok(salt.every((s) => Number.isInteger(s) && s >= 0 && s <= 65535));
  for (const length of [0, 257, 1.5]) {
    assert.throws(() => newSalt(counting, length), reason('WEIGHTS_BAD_SALT'));
  }
  assert.throws(() => newSalt(() => new Uint8Array(3), 2), reason('WEIGHTS_BAD_SALT'));
});

test('every reason code was reached by the tests above', () => {
  assert.deepEqual([...seen].sort(), [...WEIGHTS_ERROR_REASONS].sort());
});
