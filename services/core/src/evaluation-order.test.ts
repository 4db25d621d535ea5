import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeSs58, hotkeyFromSeed } from './hotkey-signature.js';
import { InvalidArgumentError } from './errors.js';
import { evaluationOrder } from './evaluation-order.js';
import type { EvaluationOrderInput } from './evaluation-order.js';

// Seventeen hotkeys, as in the Gauntlet network: sorted by address, the one of seed 0x31 came 14th.
const HOTKEYS = Array.from({ length: 17 }, (_, i) =>
  encodeSs58(hotkeyFromSeed(new Uint8Array(32).fill(0x31 + i)).publicKey),
);
const SALT = new Uint8Array(32).fill(9);
const base: EvaluationOrderInput = { runId: 'run-1', window: 0, hotkeys: HOTKEYS, salt: SALT };
const order = (input: Partial<EvaluationOrderInput>): string[] => evaluationOrder({ ...base, ...input });

test('a permutation of the hotkeys, duplicates kept once', () => {
  const o = order({});
  assert.equal(o.length, HOTKEYS.length);
  assert.deepEqual([...o].sort(), [...HOTKEYS].sort());
  assert.deepEqual(order({ hotkeys: [...HOTKEYS, HOTKEYS[3]!, HOTKEYS[0]!] }), o);
  assert.deepEqual(order({ hotkeys: [] }), []);
});

test('deterministic in its inputs, whatever order the hotkeys come in', () => {
  assert.deepEqual(order({}), order({ hotkeys: [...HOTKEYS].reverse(), salt: Uint8Array.from(SALT) }));
});

test('windows, runs and salts each give another order', () => {
  const o = order({});
  for (const other of [
    order({ window: 1 }),
    order({ runId: 'run-2' }),
    order({ salt: new Uint8Array(32).fill(10) }),
    order({ salt: new Uint8Array(0) }),
  ])
    assert.notDeepEqual(other, o);
});

test('no hotkey is kept at the tail: over 1700 windows each holds each rank about equally often', () => {
  const windows = 1700;
  const n = HOTKEYS.length;
  const lastCount = new Map(HOTKEYS.map((h) => [h, 0]));
  const rankSum = new Map(HOTKEYS.map((h) => [h, 0]));
  for (let window = 0; window < windows; window++) {
    const o = order({ window });
    lastCount.set(o.at(-1)!, lastCount.get(o.at(-1)!)! + 1);
    o.forEach((h, i) => rankSum.set(h, rankSum.get(h)! + i));
  }
  // Last place: Binomial(1700, 1/17), mean 100, sd ≈ 9.7; five sd either way.
  for (const [h, c] of lastCount) assert.ok(c > 50 && c < 150, `${h} last in ${c} windows`);
  // Mean rank: (n − 1)/2 = 8, sd of a uniform rank ≈ 4.9 / √1700 ≈ 0.12 per hotkey; five sd.
  for (const [h, s] of rankSum) {
    const mean = s / windows;
    assert.ok(Math.abs(mean - (n - 1) / 2) < 0.6, `${h}: mean rank ${mean.toFixed(2)}`);
  }
});

test('a window that is not a non-negative integer is refused', () => {
  for (const window of [-1, 1.5, Number.NaN, 2 ** 53])
    assert.throws(() => order({ window }), InvalidArgumentError);
});
