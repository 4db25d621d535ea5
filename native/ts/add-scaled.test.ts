import { test } from 'node:test';
import assert from 'node:assert/strict';

import { InvalidArgumentError } from '@cohort/core';

import { AddScaledReason, addScaled } from './add-scaled.js';
import { nativeAddon } from './addon.js';
import { mapNativeError } from './errors.js';

/** mulberry32: a tiny fixed-seed PRNG, so every run sees the same data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomVector(n: number, seed: number): Float32Array {
  const next = random(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = next() * 8 - 4;
  return out;
}

const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);

/** The float32 next to `r` (a float32), one step away from zero when `away`, else towards it. */
function neighbour(r: number, away: boolean): number {
  f32[0] = r;
  f32Bits[0] = (f32Bits[0] ?? 0) + (away ? 1 : -1);
  return f32[0] ?? Number.NaN;
}

/**
 * fmaf in JS, for float32 a, b, c with a normal-range result: round_f32(a*b + c) with one rounding.
 * a*b is exact in a double; TwoSum makes s + e == a*b + c exactly; fround(s) is then correct unless s
 * lies exactly halfway between two float32s, where the sign of e decides.
 */
function fmaf32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const v = s - p;
  const e = p - (s - v) + (c - v);
  const r = Math.fround(s);
  if (e === 0 || r === s) return r;
  const other = neighbour(r, Math.abs(s) > Math.abs(r));
  if ((r + other) / 2 !== s) return r;
  return e > 0 === other > r ? other : r;
}

test('addScaled is bit-identical to a JS fma reference on 1e6 fixed-seed elements', async () => {
  const n = 1_000_000;
  const x = randomVector(n, 1);
  const y = randomVector(n, 2);
  const alpha = -0.37;
  const alpha32 = Math.fround(alpha);
  const out = await addScaled(x, y, alpha);
  assert.ok(out instanceof Float32Array);
  assert.equal(out.length, n);
  assert.notEqual(out.buffer, x.buffer);
  let mismatches = 0;
  for (let i = 0; i < n; i++) {
    if (!Object.is(out[i], Math.fround(fmaf32(alpha32, y[i] ?? 0, x[i] ?? 0)))) mismatches++;
  }
  assert.equal(mismatches, 0);
});

test('addScaled rounds once, like fma, where multiply-then-add would round twice', async () => {
  // alpha*y is 2^-24 - 2^-70: x + alpha*y sits just below the float32 midpoint x + 2^-24, so one rounding
  // gives x; rounding alpha*y + x to a double first lands on the midpoint, which ties to even: x + 2^-22.
  const x = 1 + 2 ** -23;
  const y = 1 - 2 ** -23;
  const alpha = 2 ** -24 * (1 + 2 ** -23);
  assert.equal(Math.fround(alpha * y + x), 1 + 2 ** -22);
  assert.equal(fmaf32(alpha, y, x), x);
  assert.deepEqual([...(await addScaled(new Float32Array([x]), new Float32Array([y]), alpha))], [x]);
});

test('addScaled handles empty vectors and typed-array views with an offset', async () => {
  assert.equal((await addScaled(new Float32Array(0), new Float32Array(0), 2)).length, 0);
  const backing = new Float32Array([9, 1, 2, 3]);
  const out = await addScaled(backing.subarray(1), new Float32Array([1, 1, 1]), 2);
  assert.deepEqual([...out], [3, 4, 5]);
});

test('addScaled does not block the event loop while the native op runs', async (t) => {
  const n = 10_000_000;
  const x = randomVector(n, 3);
  const y = randomVector(n, 4);
  let ticks = 0;
  let settled = false;
  const spin = (): void => {
    if (settled) return;
    ticks++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const out = await addScaled(x, y, 0.5);
  settled = true;
  t.diagnostic(`the event loop turned ${ticks} times while ${n} elements were computed`);
  assert.equal(out.length, n);
  assert.ok(ticks > 0);
});

test('TS validation rejects before crossing, with InvalidArgumentError and a reason', async () => {
  const x = new Float32Array(4);
  const cases: readonly [() => Promise<Float32Array>, string, RegExp][] = [
    [
      () => addScaled(x, new Float32Array(5), 1),
      AddScaledReason.LengthMismatch,
      /^Expected a Float32Array of 4 elements for y but received Float32Array\(20 bytes\)$/,
    ],
    [
      () => addScaled(x, x, Number.NaN),
      AddScaledReason.AlphaNotFinite,
      /^Expected a finite float32 number for alpha but received NaN$/,
    ],
    [() => addScaled(x, x, Number.POSITIVE_INFINITY), AddScaledReason.AlphaNotFinite, /received Infinity$/],
    [() => addScaled(x, x, 1e39), AddScaledReason.AlphaNotFinite, /received 1e\+39$/],
    [() => addScaled(x, x, '1' as unknown as number), AddScaledReason.AlphaNotFinite, /received "1"$/],
    [
      () => addScaled(new Float64Array(4) as unknown as Float32Array, x, 1),
      AddScaledReason.NotFloat32Array,
      /for x but received Float64Array\(32 bytes\)$/,
    ],
    [
      () => addScaled(x, [1, 2, 3, 4] as unknown as Float32Array, 1),
      AddScaledReason.NotFloat32Array,
      /for y but received array\(4\)$/,
    ],
  ];
  for (const [call, reason, message] of cases) {
    await assert.rejects(call, (error) => {
      assert.ok(error instanceof InvalidArgumentError);
      assert.equal(error.reason, reason);
      assert.match(error.message, message);
      return true;
    });
  }
});

test('a C++ exception from the raw binding arrives as a typed InvalidArgumentError', async () => {
  const { binding } = nativeAddon();
  const rawCalls: readonly (() => Promise<Float32Array>)[] = [
    () => binding.addScaled(new Float32Array(4), new Float32Array(5), 1), // thrown by cohort::add_scaled_out
    () => binding.addScaled(new Float32Array(4), new Float32Array(4), Number.NaN),
    () => binding.addScaled(new Float32Array(4), new Int32Array(4) as unknown as Float32Array, 1), // by the addon
  ];
  for (const call of rawCalls) {
    const raw = await call().then(
      () => assert.fail('the raw binding resolved'),
      (error: unknown) => error,
    );
    assert.ok(raw instanceof Error);
    assert.equal(raw.name, 'InvalidArgumentError');
    assert.match(raw.message, /^Expected /);
    const mapped = mapNativeError(raw);
    assert.ok(mapped instanceof InvalidArgumentError);
    assert.equal(mapped.message, raw.message);
    assert.equal(mapped.cause, raw);
  }
});
